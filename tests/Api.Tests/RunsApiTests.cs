using System.Net;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>Run requests, their checks and their records, with no worker: runs stay queued.</summary>
public abstract class RunsApiTests : IAsyncLifetime
{
    protected static readonly Dictionary<string, string?> NoWorker = new() { ["TrainService:Worker:Enabled"] = "false" };

    ServiceFactory service = null!;
    HttpClient client = null!;

    protected abstract Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?> settings);

    public async Task InitializeAsync()
    {
        service = await CreateServiceAsync(NoWorker);
        client = service.CreateClient();
    }

    public async Task DisposeAsync() => await service.DisposeAsync();

    const string Graph = """
    { "name": "toy",
      "inputs": [{"name": "features", "shape": [3]}],
      "nodes": [{"name": "label", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["features"]}],
      "outputs": ["label"] }
    """;

    Task<Guid> UploadToyAsync(int samples = 8, int width = 3) => client.UploadAsync(
        NdArray.Of("features", TestData.Floats(samples * width, 1), samples, width),
        NdArray.Of("label", TestData.Floats(samples, 2), samples, 1),
        NdArray.Of("few", TestData.Floats(3, 3), 3, 1));

    static string Request(Guid datasetId, string extra = "") => $$"""
    { "graph": {{Graph}}, "datasetId": "{{datasetId}}",
      "compile": {"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["acc"]},
      "fit": {"epochs": 2, "batch_size": 4} {{extra}} }
    """;

    [Fact]
    public async Task AcceptedRunIsQueuedWithItsRecord()
    {
        var dataset = await UploadToyAsync();
        var response = await client.PostAsync("/api/runs", ApiClient.Json(Request(dataset)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var run = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var id = run.GetProperty("id").GetGuid();
        Assert.Equal($"/api/runs/{id}", response.Headers.Location?.AbsolutePath);
        Assert.Equal("queued", run.GetProperty("status").GetString());
        Assert.Equal(2, run.GetProperty("epochs").GetInt32());
        Assert.Equal("cpu", run.GetProperty("device").GetString());
        // Defaults: arrays named like the graph's input and output.
        Assert.Equal("features", run.GetProperty("config").GetProperty("inputs").GetProperty("features").GetString());
        Assert.Equal("label", run.GetProperty("config").GetProperty("targets").GetProperty("label").GetString());
        var memory = run.GetProperty("memoryEstimate");
        Assert.Equal(4 * 4, memory.GetProperty("weightBytes").GetInt64());
        Assert.True(run.GetProperty("estimatedMemoryBytes").GetInt64() > 0);

        var fetched = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("queued", fetched.GetProperty("status").GetString());
        var page = await client.GetJsonAsync("/api/runs?status=queued");
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        Assert.Equal(0, (await client.GetJsonAsync("/api/runs?status=running")).GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync("/api/runs?status=sleeping")).StatusCode);
        Assert.Equal(0, (await client.GetJsonAsync($"/api/runs/{id}/metrics")).GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/runs/{id}/weights")).StatusCode);
        // The inline graph is stored with the run.
        Assert.Equal(1, (await client.GetJsonAsync("/api/graphs")).GetArrayLength());
    }

    [Fact]
    public async Task RunsAreListedNewestFirstInPages()
    {
        var dataset = await UploadToyAsync();
        var ids = new List<Guid>();
        for (int i = 0; i < 3; i++)
            ids.Add((await client.PostJsonAsync("/api/runs", Request(dataset))).Body.GetProperty("id").GetGuid());
        var first = await client.GetJsonAsync("/api/runs?limit=2");
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        var second = await client.GetJsonAsync("/api/runs?limit=2&offset=2");
        var listed = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray())
            .Select(r => r.GetProperty("id").GetGuid());
        Assert.Equal(Enumerable.Reverse(ids), listed);
    }

    [Fact]
    public async Task CancelingAQueuedRunEndsIt()
    {
        var dataset = await UploadToyAsync();
        var id = (await client.PostJsonAsync("/api/runs", Request(dataset))).Body.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/datasets/{dataset}")).StatusCode);

        var (status, run) = await client.PostJsonAsync($"/api/runs/{id}/cancel", "");
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal("canceled", run.GetProperty("status").GetString());
        Assert.True(run.TryGetProperty("finishedAt", out var finished) && finished.ValueKind == JsonValueKind.String);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostJsonAsync($"/api/runs/{id}/cancel", "")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostJsonAsync($"/api/runs/{Guid.NewGuid()}/cancel", "")).Status);

        // No active run uses the dataset any more: it can go, and the run keeps its record.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/datasets/{dataset}")).StatusCode);
        var kept = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("datasetId").ValueKind);
    }

    public static TheoryData<string, string> BadRequests() => new()
    {
        // A shape that disagrees with the graph.
        { """ "inputs": {"features": "few"} """, "/inputs/features" },
        { """ "inputs": {"nosuch": "features"} """, "/inputs/nosuch" },
        { """ "targets": {"label": "missing"} """, "/targets/label" },
        { """ "targets": {"label": "few"} """, "/targets/label" },
        { """ "device": "tpu" """, "/device" },
        { """ "colour": "blue" """, "/colour" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadRunRequestsNameTheFieldAndStoreNothing(string extra, string pointer)
    {
        var dataset = await UploadToyAsync();
        var (status, problem) = await client.PostJsonAsync("/api/runs", Request(dataset, "," + extra));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(pointer, problem.ErrorKeys());
        await AssertNothingStored();
    }

    [Fact]
    public async Task MissingPartsAreNamed()
    {
        var (status, problem) = await client.PostJsonAsync("/api/runs", """{"fit": {"epochs": 0}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(["/compile", "/datasetId", "/graphId"], problem.ErrorKeys().Order());

        var dataset = await UploadToyAsync();
        (status, problem) = await client.PostJsonAsync("/api/runs", $$"""
            { "graph": {"inputs": [{"name": "features", "shape": [3]}], "nodes": [{"name": "label", "type": "Dense", "config": {"units": 0}, "inputs": ["features"]}], "outputs": ["label"]},
              "datasetId": "{{dataset}}", "compile": {"optimizer": "sgd"}, "fit": {"epochs": 0} }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("/graph/nodes/0/config/units", problem.ErrorKeys());
        (status, problem) = await client.PostJsonAsync("/api/runs", $$"""
            { "graphId": "{{Guid.NewGuid()}}", "datasetId": "{{Guid.NewGuid()}}", "compile": {"optimizer": "sgd"}, "fit": {"epochs": 0} }
            """);
        Assert.Equal(["/compile/loss", "/datasetId", "/fit/epochs", "/graphId"], problem.ErrorKeys().Order());
        await AssertNothingStored();
    }

    [Fact]
    public async Task RunThatCannotFitTheDeviceIsRefusedWithTheFigures()
    {
        await using var tiny = await CreateServiceAsync(new Dictionary<string, string?>(NoWorker) { ["TrainService:Devices:CpuMemoryBytes"] = "256" });
        var tinyClient = tiny.CreateClient();
        var dataset = await tinyClient.UploadAsync(
            NdArray.Of("features", TestData.Floats(24, 1), 8, 3), NdArray.Of("label", TestData.Floats(8, 2), 8, 1));
        var (status, problem) = await tinyClient.PostJsonAsync("/api/runs", Request(dataset));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var message = problem.GetProperty("errors").GetProperty("/fit/batch_size")[0].GetString()!;
        Assert.Contains("does not fit on cpu", message);
        Assert.Contains("against 0 MiB of device memory", message);
        Assert.Contains("weights 0 MiB", message);
        Assert.Equal(0, (await tinyClient.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
    }

    async Task AssertNothingStored()
    {
        Assert.Equal(0, (await client.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
        Assert.Equal(0, (await client.GetJsonAsync("/api/graphs")).GetArrayLength());
    }
}

public sealed class EmbeddedRunsApiTests : RunsApiTests
{
    protected override Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?> settings) =>
        Task.FromResult(new ServiceFactory(settings: settings));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRunsApiTests(PostgresServer postgres) : RunsApiTests
{
    protected override async Task<ServiceFactory> CreateServiceAsync(IReadOnlyDictionary<string, string?> settings) =>
        new(await postgres.CreateDatabaseAsync(), settings);
}
