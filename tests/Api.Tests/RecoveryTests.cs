using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>Runs are the source of truth: what a stopped service left queued is trained after a restart.</summary>
public sealed class RecoveryTests
{
    [Fact]
    public async Task RunsLeftQueuedAreTrainedAfterARestart()
    {
        string dataDir;
        Guid id;
        await using (var before = new ServiceFactory(settings: new Dictionary<string, string?> { ["TrainService:Worker:Enabled"] = "false" }))
        {
            var client = before.CreateClient();
            var dataset = await client.UploadAsync(
                NdArray.Of("features", TestData.Floats(64 * 3, 1), 64, 3), NdArray.Of("label", TestData.Floats(64, 2), 64, 1));
            id = (await client.PostJsonAsync("/api/runs", $$"""
                { "graph": {"inputs": [{"name": "features", "shape": [3]}], "nodes": [{"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["features"]}], "outputs": ["label"]},
                  "datasetId": "{{dataset}}", "compile": {"optimizer": "sgd", "loss": "mse"}, "fit": {"epochs": 2} }
                """)).Body.GetProperty("id").GetGuid();
            dataDir = before.DataDir;
            // The embedded default's queue is in memory: it goes with the process.
            before.KeepDataDir();
        }

        await using var after = new ServiceFactory(dataDir: dataDir);
        var run = await after.CreateClient().WaitForRunAsync(id, TimeSpan.FromSeconds(60), "succeeded", "failed");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("epoch").GetInt32());
    }
}
