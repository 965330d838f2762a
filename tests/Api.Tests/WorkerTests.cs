using System.Net;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;
using TrainService.Jobs.Data;

namespace TrainService.Api.Tests;

/// <summary>Workers on PostgreSQL: a standalone worker node, how fast an idle worker starts a run, and a long run trained once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class WorkerTests(PostgresServer postgres)
{
    const string Graph = """
    { "inputs": [{"name": "features", "shape": [8]}],
      "nodes": [{"name": "hidden", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["features"]},
                {"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["hidden"]}],
      "outputs": ["label"] }
    """;

    static readonly NdArray[] Data =
        [NdArray.Of("features", TestData.Floats(2000 * 8, 5), 2000, 8), NdArray.Of("label", TestData.Floats(2000, 6), 2000, 1)];

    static string Request(Guid dataset, int epochs, int batchSize = 32) =>
        $$$"""{"graph": {{{Graph}}}, "datasetId": "{{{dataset}}}", "compile": {"optimizer": "adam", "loss": "mse"}, "fit": {"epochs": {{{epochs}}}, "batch_size": {{{batchSize}}}}}""";

    static Dictionary<string, string?> Settings(params (string Key, string Value)[] settings) =>
        settings.ToDictionary(s => s.Key, s => (string?)s.Value);

    [Fact]
    public async Task StandaloneWorkerNodeTrainsTheApisRuns()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var api = new ServiceFactory(database, Settings(("TrainService:Worker:Enabled", "false")));
        var client = api.CreateClient();
        await using var worker = new WorkerProcess(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = database,
            ["TrainService__DataDir"] = api.DataDir,
            ["TrainService__Worker__NodeName"] = "worker-node-1",
        });

        var dataset = await client.UploadAsync(Data);
        var id = (await client.PostJsonAsync("/api/runs", Request(dataset, epochs: 2))).Body.GetProperty("id").GetGuid();
        var run = await client.WaitForRunAsync(id, TimeSpan.FromSeconds(90), "succeeded", "failed");
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run + worker.Output);
        Assert.Equal("worker-node-1", run.GetProperty("node").GetString());
        Assert.Equal(2, (await client.GetJsonAsync($"/api/runs/{id}/metrics")).GetArrayLength());
        Assert.False(worker.HasExited, worker.Output);
    }

    [Fact]
    public async Task QueuedRunStartsWithinASecondOnAnIdleWorker()
    {
        await using var service = new ServiceFactory(await postgres.CreateDatabaseAsync());
        var client = service.CreateClient();
        var dataset = await client.UploadAsync(Data);
        // Let the worker go idle, polling the queue.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var id = (await client.PostJsonAsync("/api/runs", Request(dataset, epochs: 1))).Body.GetProperty("id").GetGuid();
        var run = await client.WaitForRunAsync(id, TimeSpan.FromSeconds(60), "running", "succeeded", "failed");
        run = await client.GetJsonAsync($"/api/runs/{id}");
        var waited = run.GetProperty("startedAt").GetDateTime() - run.GetProperty("createdAt").GetDateTime();
        Assert.True(waited < TimeSpan.FromSeconds(1), $"The run waited {waited.TotalMilliseconds:0} ms in the queue.");
    }

    /// <summary>
    /// Hangfire.PostgreSql hands a fetched job to another worker once its invisibility timeout has
    /// passed (hangfire-postgres #130, #381). With the timeout cut to 2 s and two workers polling,
    /// a run that trains for longer is delivered once with the sliding timeout on; with it off the
    /// job is delivered again, and the claim keeps the second delivery from training.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LongRunIsTrainedOnceWhateverTheInvisibilityTimeout(bool sliding)
    {
        var database = await postgres.CreateDatabaseAsync();
        (string, string)[] shared =
        [
            ("TrainService:Worker:InvisibilityTimeout", "00:00:02"),
            ("TrainService:Worker:SlidingInvisibilityTimeout", sliding ? "true" : "false"),
        ];
        await using var first = new ServiceFactory(database, Settings([.. shared, ("TrainService:Worker:NodeName", "first")]));
        var client = first.CreateClient();
        await using var second = new ServiceFactory(database, Settings([.. shared, ("TrainService:Worker:NodeName", "second")]), first.DataDir);
        second.CreateClient();

        var dataset = await client.UploadAsync(Data);
        var id = (await client.PostJsonAsync("/api/runs", Request(dataset, epochs: 1000, batchSize: 8))).Body.GetProperty("id").GetGuid();
        try
        {
            await client.WaitForRunAsync(id, TimeSpan.FromSeconds(60), "running");
        }
        catch (Xunit.Sdk.XunitException e)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\nHangfire: " + await HangfireStateAsync(database));
        }
        // Three invisibility timeouts and more.
        await Task.Delay(TimeSpan.FromSeconds(8));
        var running = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.True(running.GetProperty("status").GetString() == "running", running + "\nHangfire: " + await HangfireStateAsync(database));
        await client.PostJsonAsync($"/api/runs/{id}/cancel", "");
        var run = await client.WaitForRunAsync(id, TimeSpan.FromSeconds(30), "canceled", "failed", "succeeded");
        Assert.Equal("canceled", run.GetProperty("status").GetString());

        await using var scope = first.Services.CreateAsyncScope();
        var record = await scope.ServiceProvider.GetRequiredService<TrainDbContext>().Runs.AsNoTracking().SingleAsync(r => r.Id == id);
        Assert.Equal(1, record.Attempts);
        if (sliding) Assert.Equal(1, record.Deliveries);
        else Assert.True(record.Deliveries >= 2, $"Without the sliding timeout the job was delivered {record.Deliveries} time(s).");
    }

    /// <summary>Jobs, queue rows and servers of Hangfire's schema, for a failure's message.</summary>
    static async Task<string> HangfireStateAsync(string database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        var lines = new List<string>();
        foreach (var sql in new[]
        {
            "SELECT 'job ' || id || ' ' || coalesce(statename, '?') || ' ' || createdat FROM hangfire.job",
            "SELECT 'queue ' || jobid || ' ' || queue || ' fetched ' || coalesce(fetchedat::text, '-') FROM hangfire.jobqueue",
            "SELECT 'server ' || id || ' ' || lastheartbeat FROM hangfire.server",
            "SELECT 'state ' || s.name || ' ' || coalesce(s.reason, '') || ' ' || coalesce(s.data::text, '') FROM hangfire.state s WHERE s.name = 'Failed'",
            "SELECT 'now ' || now()",
        })
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        }
        return string.Join("\n", lines);
    }
}
