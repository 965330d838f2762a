using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>
/// The live stream with a real SignalR client over real sockets: a three-head run trained by a
/// separate worker process on PostgreSQL, its events against the stored metrics, late and resuming
/// subscribers, and the embedded default's in-process relay.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class LiveMetricsTests(PostgresServer postgres)
{
    /// <summary>The seed's multi-output shape in small: one trunk, heads age (regression), income (3 classes), gender (binary).</summary>
    public const string ThreeHeads = """
    { "inputs": [{"name": "posts", "shape": [8]}],
      "nodes": [{"name": "trunk", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["posts"]},
                {"name": "age", "type": "Dense", "config": {"units": 1}, "inputs": ["trunk"]},
                {"name": "income", "type": "Dense", "config": {"units": 3, "activation": "softmax"}, "inputs": ["trunk"]},
                {"name": "gender", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["trunk"]}],
      "outputs": ["age", "income", "gender"] }
    """;

    public static NdArray[] ThreeHeadsData(int samples) =>
    [
        NdArray.Of("posts", TestData.Floats(samples * 8, 11), samples, 8),
        NdArray.Of("age", TestData.Floats(samples, 12), samples, 1),
        NdArray.Of("income", TestData.Ints(samples, 3, 13), samples),
        NdArray.Of("gender", TestData.Ints(samples, 2, 14).Select(v => (float)v).ToArray(), samples, 1),
    ];

    public static string ThreeHeadsRequest(Guid dataset, int epochs, int batchSize = 32, string learningRate = "0.001") => $$$"""
    { "graph": {{{ThreeHeads}}}, "datasetId": "{{{dataset}}}",
      "compile": {"optimizer": {"type": "adam", "learning_rate": {{{learningRate}}}},
                  "loss": {"age": "mse", "income": "sparse_categorical_crossentropy", "gender": "binary_crossentropy"},
                  "loss_weights": {"age": 0.25, "income": 1, "gender": 10},
                  "metrics": {"age": ["mae"], "income": ["acc"], "gender": ["acc"]}},
      "fit": {"epochs": {{{epochs}}}, "batch_size": {{{batchSize}}}, "validation_split": 0.25} }
    """;

    /// <summary>The API on Kestrel (a real port, for real WebSockets); its base address.</summary>
    public static string StartOnKestrel(ServiceFactory service)
    {
        service.UseKestrel(0);
        service.StartServer();
        var addresses = service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.First().Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1");
    }

    public static HttpClient ClientOf(string baseUrl) => new() { BaseAddress = new Uri(baseUrl) };

    [Fact]
    public async Task WorkerProcessEventsArriveInOrderPerHeadEqualToStoredMetricsAndLateSubscribersMissNothing()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var api = new ServiceFactory(database, new Dictionary<string, string?> { ["TrainService:Worker:Enabled"] = "false" });
        var baseUrl = StartOnKestrel(api);
        using var client = ClientOf(baseUrl);
        await using var worker = new WorkerProcess(new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = database,
            ["TrainService__DataDir"] = api.DataDir,
            ["TrainService__Worker__NodeName"] = "live-node",
        });
        await using var early = await LiveClient.ConnectAsync(baseUrl);
        await using var watcher = await LiveClient.ConnectAsync(baseUrl, messagePack: true);
        await watcher.SubscribeAllAsync();

        var dataset = await client.UploadAsync(ThreeHeadsData(512));
        var id = (await client.PostJsonAsync("/api/runs", ThreeHeadsRequest(dataset, epochs: 4, batchSize: 8))).Body.GetProperty("id").GetGuid();
        await early.SubscribeAsync(id);
        await early.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded", "failed"), TimeSpan.FromSeconds(120), () => worker.Output);

        var run = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        long last = run.GetProperty("sequence").GetInt64();
        var stored = (await client.GetJsonAsync($"/api/runs/{id}/metrics")).EnumerateArray().ToList();
        Assert.Equal(4, stored.Count);

        await using var late = await LiveClient.ConnectAsync(baseUrl);
        await late.SubscribeAsync(id);
        await late.WaitForAsync(e => e.RunId == id && e.Sequence == last, TimeSpan.FromSeconds(10));
        await using var resuming = await LiveClient.ConnectAsync(baseUrl);
        await resuming.SubscribeAsync(id, afterSequence: 3);
        await resuming.WaitForAsync(e => e.RunId == id && e.Sequence == last, TimeSpan.FromSeconds(10));
        await Task.Delay(300); // anything sent twice would arrive now

        foreach (var (subscriber, from) in new[] { (early, 1L), (late, 1L), (resuming, 4L) })
        {
            var durable = subscriber.Durable(id);
            Assert.Equal(Enumerable.Range((int)from, (int)(last - from + 1)).Select(i => (long)i), durable.Select(e => e.Sequence));
            var statuses = durable.Where(e => e.Kind == "RunStatus").Select(e => e.Payload.GetProperty("status").GetString()).ToList();
            Assert.Equal("succeeded", statuses[^1]);
            var epochs = durable.Where(e => e.Kind == "EpochEnd").ToList();
            Assert.Equal(Enumerable.Range(1, 4).Where(epoch => from == 1 || epoch >= 2).ToList(), epochs.Select(e => e.Payload.GetProperty("epoch").GetInt32()).Where(epoch => from == 1 || epoch >= 2).ToList());
            foreach (var epochEnd in epochs) AssertEqualToStored(epochEnd.Payload, stored[epochEnd.Payload.GetProperty("epoch").GetInt32() - 1]);
        }
        Assert.Equal(["queued", "running", "succeeded"], early.Durable(id).Where(e => e.Kind == "RunStatus").Select(e => e.Payload.GetProperty("status").GetString()));

        // Batch progress: a note between durable events, numbered after the last durable one before it.
        var progress = early.Events.Where(e => e.RunId == id && e.Kind == "BatchProgress").ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal(48, p.Payload.GetProperty("batches").GetInt32()));
        // Throttled where it is made (arrivals may bunch on the way): the worker stamps them at least 100 ms apart.
        var stamps = progress.Select(p => p.Payload.GetProperty("at").GetDateTime()).ToList();
        Assert.True(stamps.Zip(stamps.Skip(1)).All(pair => pair.Second - pair.First >= TimeSpan.FromMilliseconds(99)),
            "progress is throttled to 10 a second: " + string.Join(", ", stamps.Select(s => s.ToString("HH:mm:ss.fff"))));

        // The run list's watcher (MessagePack) saw the run's statuses and epochs without subscribing to it.
        await watcher.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded"), TimeSpan.FromSeconds(5));
        Assert.Equal(4, watcher.Events.Count(e => e.RunId == id && e.Kind == "EpochEnd"));
        Assert.False(worker.HasExited, worker.Output);
    }

    /// <summary>An EpochEnd's metrics are the stored epoch's, name for name and value for value; its heads regroup the same numbers.</summary>
    static void AssertEqualToStored(JsonElement epochEnd, JsonElement stored)
    {
        var metrics = epochEnd.GetProperty("metrics");
        var expected = stored.GetProperty("metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(expected.Keys.Order(), metrics.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, value) in expected) Assert.Equal(value, metrics.GetProperty(name).GetDouble());
        Assert.Contains("income_acc", expected.Keys);
        Assert.Contains("val_gender_acc", expected.Keys);

        var heads = epochEnd.GetProperty("heads");
        Assert.Equal(["age", "gender", "income"], heads.EnumerateObject().Select(h => h.Name).Order());
        foreach (var head in heads.EnumerateObject())
            foreach (var metric in head.Value.EnumerateObject())
            {
                var keras = metric.Name.StartsWith("val_") ? $"val_{head.Name}_{metric.Name[4..]}" : $"{head.Name}_{metric.Name}";
                Assert.Equal(expected[keras], metric.Value.GetDouble());
            }
        Assert.Equal(["loss", "mae", "val_loss", "val_mae"], heads.GetProperty("age").EnumerateObject().Select(m => m.Name).Order());
        Assert.Equal(["acc", "loss", "val_acc", "val_loss"], heads.GetProperty("income").EnumerateObject().Select(m => m.Name).Order());
    }

    [Fact]
    public async Task EveryApiInstanceStreamsTheRunsTrainedBehindAnother()
    {
        var database = await postgres.CreateDatabaseAsync();
        await using var trainer = new ServiceFactory(database, new Dictionary<string, string?> { ["TrainService:Worker:NodeName"] = "behind-first" });
        var firstUrl = StartOnKestrel(trainer);
        await using var second = new ServiceFactory(database, new Dictionary<string, string?> { ["TrainService:Worker:Enabled"] = "false" }, trainer.DataDir);
        var secondUrl = StartOnKestrel(second);
        using var client = ClientOf(firstUrl);
        await using var onFirst = await LiveClient.ConnectAsync(firstUrl);
        await using var onSecond = await LiveClient.ConnectAsync(secondUrl);

        var dataset = await client.UploadAsync(ThreeHeadsData(256));
        var id = (await client.PostJsonAsync("/api/runs", ThreeHeadsRequest(dataset, epochs: 3))).Body.GetProperty("id").GetGuid();
        await onFirst.SubscribeAsync(id);
        await onSecond.SubscribeAsync(id);
        foreach (var live in new[] { onFirst, onSecond })
            await live.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded", "failed"), TimeSpan.FromSeconds(60));
        await Task.Delay(300);
        Assert.Equal(onFirst.Durable(id).Select(e => (e.Kind, e.Sequence)), onSecond.Durable(id).Select(e => (e.Kind, e.Sequence)));
        Assert.Equal(3, onSecond.Durable(id).Count(e => e.Kind == "EpochEnd"));
    }

    [Fact]
    public async Task EmbeddedDefaultStreamsInProcessAndAReconnectingClientResumesWithoutGapOrDuplicate()
    {
        await using var service = new ServiceFactory();
        var baseUrl = StartOnKestrel(service);
        using var client = ClientOf(baseUrl);
        var dataset = await client.UploadAsync(ThreeHeadsData(1024));
        var id = (await client.PostJsonAsync("/api/runs", ThreeHeadsRequest(dataset, epochs: 6, batchSize: 8))).Body.GetProperty("id").GetGuid();

        var first = await LiveClient.ConnectAsync(baseUrl);
        await first.SubscribeAsync(id);
        await first.WaitForAsync(e => e.RunId == id && e.Kind == "EpochEnd" && e.Payload.GetProperty("epoch").GetInt32() == 2, TimeSpan.FromSeconds(60));
        long seen = first.Durable(id).Max(e => e.Sequence);
        var before = first.Durable(id);
        await first.DisposeAsync();

        // Meanwhile the run goes on; the client comes back with the last number it saw.
        await Task.Delay(500);
        await using var second = await LiveClient.ConnectAsync(baseUrl);
        await second.SubscribeAsync(id, seen);
        await second.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded", "failed"), TimeSpan.FromSeconds(90));
        await Task.Delay(300);

        var all = before.Concat(second.Durable(id)).Select(e => e.Sequence).ToList();
        var run = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(Enumerable.Range(1, (int)run.GetProperty("sequence").GetInt64()).Select(i => (long)i), all);
        Assert.Equal(Enumerable.Range(1, 6), before.Concat(second.Durable(id)).Where(e => e.Kind == "EpochEnd").Select(e => e.Payload.GetProperty("epoch").GetInt32()));
    }

    [Fact]
    public async Task AutomaticReconnectAfterACutConnectionEndsUpWithEveryEventOnce()
    {
        await using var service = new ServiceFactory();
        var baseUrl = StartOnKestrel(service);
        using var client = ClientOf(baseUrl);
        await using var proxy = new TcpProxy(baseUrl);
        var dataset = await client.UploadAsync(ThreeHeadsData(1024));
        var id = (await client.PostJsonAsync("/api/runs", ThreeHeadsRequest(dataset, epochs: 6, batchSize: 8))).Body.GetProperty("id").GetGuid();

        await using var live = await LiveClient.ConnectAsync(proxy.Url);
        await live.SubscribeAsync(id);
        await live.WaitForAsync(e => e.RunId == id && e.Kind == "EpochEnd" && e.Payload.GetProperty("epoch").GetInt32() == 1, TimeSpan.FromSeconds(60));
        proxy.CutAll();
        await live.WaitForAsync(e => e.RunId == id && LiveClient.IsStatus(e, "succeeded", "failed"), TimeSpan.FromSeconds(90));
        await Task.Delay(300);

        Assert.True(live.Reconnects >= 1, "the client reconnected by itself");
        var run = await client.GetJsonAsync($"/api/runs/{id}");
        Assert.Equal(Enumerable.Range(1, (int)run.GetProperty("sequence").GetInt64()).Select(i => (long)i), live.Durable(id).Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, 6), live.Durable(id).Where(e => e.Kind == "EpochEnd").Select(e => e.Payload.GetProperty("epoch").GetInt32()));
    }

    [Fact]
    public async Task UnknownRunIsAHubErrorThatNamesTheRun()
    {
        await using var service = new ServiceFactory();
        var baseUrl = StartOnKestrel(service);
        await using var live = await LiveClient.ConnectAsync(baseUrl);
        var unknown = Guid.NewGuid();
        var error = await Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(() => live.SubscribeAsync(unknown));
        Assert.Contains(unknown.ToString(), error.Message);
    }
}
