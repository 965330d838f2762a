using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>
/// Nodes and faults: a worker killed mid-run (SIGKILL) and another shut down gracefully (SIGTERM)
/// while the run carries on to the end elsewhere; PostgreSQL restarted mid-run; a diverging run
/// that fails for its numbers while the worker goes on to the next.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class FaultTests(PostgresServer postgres)
{
    const string Graph = """
    { "inputs": [{"name": "features", "shape": [8]}],
      "nodes": [{"name": "hidden", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["features"]},
                {"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["hidden"]}],
      "outputs": ["label"] }
    """;

    static NdArray[] Data(int samples) =>
        [NdArray.Of("features", TestData.Floats(samples * 8, 21), samples, 8), NdArray.Of("label", TestData.Floats(samples, 22), samples, 1)];

    static string Request(Guid dataset, int epochs, int batchSize, string optimizer = """{"type": "adam"}""") =>
        $$$"""{"graph": {{{Graph}}}, "datasetId": "{{{dataset}}}", "compile": {"optimizer": {{{optimizer}}}, "loss": "mse"}, "fit": {"epochs": {{{epochs}}}, "batch_size": {{{batchSize}}}}}""";

    static async Task<int> WaitForEpochAsync(HttpClient client, Guid id, int epoch, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await client.GetJsonAsync($"/api/runs/{id}");
            int reached = run.GetProperty("epoch").GetInt32();
            if (reached >= epoch) return reached;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Run {id} did not reach epoch {epoch}: {run}\n{describe()}");
            await Task.Delay(20);
        }
    }

    static List<string?> Statuses(IEnumerable<LiveClient.Received> durable) =>
        durable.Where(e => e.Kind == "RunStatus").Select(e => e.Payload.GetProperty("status").GetString()).ToList();

    [Fact]
    public async Task RunSurvivesAKilledWorkerAndAGracefulShutdownLosingNoEpochAndRepeatingNone()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var api = new ServiceFactory(database, new Dictionary<string, string?> { ["TrainService:Worker:Enabled"] = "false" });
        var baseUrl = LiveMetricsTests.StartOnKestrel(api);
        using var client = LiveMetricsTests.ClientOf(baseUrl);
        Dictionary<string, string> Node(string name) => new()
        {
            ["ConnectionStrings__Postgres"] = database,
            ["TrainService__DataDir"] = api.DataDir,
            ["TrainService__Worker__NodeName"] = name,
            // A dead node is noticed within seconds rather than the production minutes.
            ["TrainService__Worker__StaleAfter"] = "00:00:03",
            ["TrainService__Worker__HeartbeatInterval"] = "00:00:00.200",
            ["TrainService__Worker__InvisibilityTimeout"] = "00:00:04",
        };

        var dataset = await client.UploadAsync(Data(4096));
        const int epochs = 8;
        var id = (await client.PostJsonAsync("/api/runs", Request(dataset, epochs, batchSize: 4))).Body.GetProperty("id").GetGuid();
        await using var live = await LiveClient.ConnectAsync(baseUrl);
        await live.SubscribeAsync(id);

        var a = new WorkerProcess(Node("node-a"));
        int killedAt = await WaitForEpochAsync(client, id, 2, TimeSpan.FromSeconds(120), () => a.Output);
        await a.KillAsync();
        await a.DisposeAsync();

        await using var b = new WorkerProcess(Node("node-b"));
        int stoppedAt = await WaitForEpochAsync(client, id, killedAt + 2, TimeSpan.FromSeconds(120), () => b.Output);
        Assert.True(stoppedAt < epochs, "the run must still be training when node-b stops");
        await b.TerminateAsync(TimeSpan.FromSeconds(30));
        var released = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.True(released.GetProperty("status").GetString() == "queued", released + b.Output);

        await using var c = new WorkerProcess(Node("node-c"));
        var run = await client.WaitForRunAsync(id, TimeSpan.FromSeconds(120), "succeeded", "failed");
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run + c.Output);
        Assert.Equal("node-c", run.GetProperty("node").GetString());

        // Every epoch once: none lost to the kill or the shutdown, none trained twice.
        var metrics = (await client.GetJsonAsync($"/api/runs/{id}/metrics")).EnumerateArray().Select(m => m.GetProperty("epoch").GetInt32());
        Assert.Equal(Enumerable.Range(1, epochs), metrics);
        await live.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded"), TimeSpan.FromSeconds(10));
        var durable = live.Durable(id);
        Assert.Equal(Enumerable.Range(1, durable.Count).Select(i => (long)i), durable.Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, epochs), durable.Where(e => e.Kind == "EpochEnd").Select(e => e.Payload.GetProperty("epoch").GetInt32()));
        Assert.Equal(["queued", "running", "running", "queued", "running", "succeeded"], Statuses(durable));

        var attempts = run.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Equal(("node-a", "lost", "infrastructure"), (attempts[0].GetProperty("node").GetString(), attempts[0].GetProperty("outcome").GetString(), attempts[0].GetProperty("failureKind").GetString()));
        Assert.Equal(("node-b", "released"), (attempts[1].GetProperty("node").GetString(), attempts[1].GetProperty("outcome").GetString()));
        Assert.Equal(("node-c", "succeeded"), (attempts[2].GetProperty("node").GetString(), attempts[2].GetProperty("outcome").GetString()));
        Assert.All(attempts, attempt => Assert.Equal("cpu", attempt.GetProperty("device").GetString()));
        Assert.False(c.HasExited, c.Output);
    }

    [Fact]
    public async Task RunCompletesThroughAPostgresRestart()
    {
        // A server of its own: the restart must not cut the other tests' databases.
        var server = new PostgresServer();
        await server.InitializeAsync();
        try
        {
            await using var service = new ServiceFactory(await server.CreateDatabaseAsync());
            var baseUrl = LiveMetricsTests.StartOnKestrel(service);
            using var client = LiveMetricsTests.ClientOf(baseUrl);
            var dataset = await client.UploadAsync(Data(2048));
            const int epochs = 6;
            var id = (await client.PostJsonAsync("/api/runs", Request(dataset, epochs, batchSize: 4))).Body.GetProperty("id").GetGuid();
            await using var live = await LiveClient.ConnectAsync(baseUrl);
            await live.SubscribeAsync(id);
            int restartedAt = await WaitForEpochAsync(client, id, 1, TimeSpan.FromSeconds(120), () => "");

            await server.RestartAsync();

            var run = await WaitAcrossRestartAsync(client, id, TimeSpan.FromSeconds(120));
            Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
            Assert.True(restartedAt < epochs, "the restart came mid-run");
            var metrics = (await client.GetJsonAsync($"/api/runs/{id}/metrics")).EnumerateArray().Select(m => m.GetProperty("epoch").GetInt32());
            Assert.Equal(Enumerable.Range(1, epochs), metrics);
            Assert.Equal(1, run.GetProperty("attempts").GetArrayLength());

            // The stream went on too: its relay listened again and caught up.
            await live.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded"), TimeSpan.FromSeconds(10));
            Assert.Equal(Enumerable.Range(1, epochs), live.Durable(id).Where(e => e.Kind == "EpochEnd").Select(e => e.Payload.GetProperty("epoch").GetInt32()));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>Polls the run while the API's own database calls may fail for a moment (they answer 500 during the restart).</summary>
    static async Task<JsonElement> WaitAcrossRestartAsync(HttpClient client, Guid id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await client.GetAsync($"/api/runs/{id}");
            if (response.IsSuccessStatusCode)
            {
                var run = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                if (run.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled") return run;
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"Run {id} did not finish across the restart.");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task DivergingRunFailsForItsNumbersWithoutRetryAndTheWorkerTakesTheNextRun()
    {
        await using var service = new ServiceFactory();
        var client = service.CreateClient();
        var dataset = await client.UploadAsync(Data(256));
        var diverging = (await client.PostJsonAsync("/api/runs", Request(dataset, 5, 16, """{"type": "sgd", "learning_rate": 1e12}"""))).Body.GetProperty("id").GetGuid();
        var next = (await client.PostJsonAsync("/api/runs", Request(dataset, 2, 16))).Body.GetProperty("id").GetGuid();

        var failed = await client.WaitForRunAsync(diverging, TimeSpan.FromSeconds(60), "succeeded", "failed");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("The loss became", failed.GetProperty("error").GetString());
        var attempt = Assert.Single(failed.GetProperty("attempts").EnumerateArray());
        Assert.Equal(("failed", "numerics"), (attempt.GetProperty("outcome").GetString(), attempt.GetProperty("failureKind").GetString()));

        var succeeded = await client.WaitForRunAsync(next, TimeSpan.FromSeconds(60), "succeeded", "failed");
        Assert.Equal("succeeded", succeeded.GetProperty("status").GetString());
    }
}
