using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Engine.Datasets;

// Live metrics under load (issue 5): latency from the end of an epoch in a worker process to the
// EpochEnd event at a subscribed client, and fan-out to many concurrent subscribers of one run on
// one API node, counting every event missed or received twice. Everything runs on loopback: a
// PostgreSQL started here (or --postgres), the API and a worker as separate processes.
//
//   dotnet run -c Release --project bench/TrainService.LiveLoad -- [--subscribers 1000] [--epochs 40] [--postgres "Host=..."]

var options = LoadOptions.Parse(args);
await using var postgres = options.Postgres is null ? await LocalPostgres.StartAsync() : null;
var connection = options.Postgres ?? await postgres!.CreateDatabaseAsync();
var dataDir = Directory.CreateTempSubdirectory("trainservice-liveload-").FullName;
int port = Node.FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
var shared = new Dictionary<string, string>
{
    ["ConnectionStrings__Postgres"] = connection,
    ["TrainService__DataDir"] = dataDir,
    ["Logging__LogLevel__Default"] = "Warning",
};
using var api = Node.Start("TrainService.Api.dll", new(shared) { ["TrainService__Worker__Enabled"] = "false", ["ASPNETCORE_URLS"] = baseUrl });
using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
await api.WaitUntilServingAsync(http);

Console.WriteLine($"live load: {options.Subscribers} subscribers, {options.Epochs} epochs, API and worker in processes of their own, PostgreSQL NOTIFY relay");
foreach (var subscribers in new[] { 1, options.Subscribers })
{
    try
    {
        Console.WriteLine(await MeasureAsync(http, baseUrl, shared, subscribers, options.Epochs));
    }
    catch
    {
        Console.Error.WriteLine("The API's output:\n" + api.Output);
        throw;
    }
}
Directory.Delete(dataDir, recursive: true);
return;

static async Task<Result> MeasureAsync(HttpClient http, string baseUrl, Dictionary<string, string> shared, int subscribers, int epochs)
{
    var dataset = await UploadAsync(http);
    var request = $$$"""
    { "graph": { "inputs": [{"name": "x", "shape": [8]}],
                 "nodes": [{"name": "h", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["x"]},
                           {"name": "a", "type": "Dense", "config": {"units": 1}, "inputs": ["h"]},
                           {"name": "b", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["h"]}],
                 "outputs": ["a", "b"] },
      "datasetId": "{{{dataset}}}",
      "compile": {"optimizer": "adam", "loss": {"a": "mse", "b": "binary_crossentropy"}, "metrics": {"a": ["mae"], "b": ["acc"]}},
      "fit": {"epochs": {{{epochs}}}, "batch_size": 64, "validation_split": 0.2} }
    """;
    // No worker yet: every subscriber is in place before the first epoch ends.
    var created = await http.PostAsync("/api/runs", new StringContent(request, Encoding.UTF8, "application/json"));
    created.EnsureSuccessStatusCode();
    var runId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

    var received = new ConcurrentBag<(int Subscriber, int Epoch, double LatencyMs)>();
    var connections = new HubConnection[subscribers];
    var connecting = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, subscribers), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
    {
        var hub = new HubConnectionBuilder().WithUrl($"{baseUrl}/hubs/training")
            .AddJsonProtocol(o => o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals).Build();
        hub.On<JsonElement>("EpochEnd", e =>
        {
            var latency = (DateTime.UtcNow - e.GetProperty("at").GetDateTime().ToUniversalTime()).TotalMilliseconds;
            received.Add((i, e.GetProperty("epoch").GetInt32(), latency));
        });
        await hub.StartAsync(ct);
        await hub.InvokeAsync("SubscribeRun", runId, 0L, ct);
        connections[i] = hub;
    });
    connecting.Stop();

    using var worker = Node.Start("TrainService.Jobs.dll", new(shared) { ["TrainService__Worker__NodeName"] = "liveload-worker" });
    var training = Stopwatch.StartNew();
    while (true)
    {
        var run = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}");
        var status = run.GetProperty("status").GetString();
        if (status is "succeeded" or "failed" or "canceled")
        {
            if (status != "succeeded") throw new InvalidOperationException($"The run {status}: {run}\n{worker.Output}");
            break;
        }
        if (training.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException(worker.Output);
        await Task.Delay(100);
    }
    await Task.Delay(2000); // the last events in flight
    if (Environment.GetEnvironmentVariable("LIVELOAD_TIMING") == "1") Console.WriteLine(string.Join("\n", worker.Output.Split('\n').Where(l => l.Contains("TIMING")).Take(40)));
    training.Stop();
    foreach (var hub in connections) await hub.DisposeAsync();

    var perSubscriber = received.GroupBy(r => r.Subscriber).ToDictionary(g => g.Key, g => g.Select(r => r.Epoch).ToList());
    int missed = 0, duplicated = 0;
    for (int i = 0; i < subscribers; i++)
    {
        var got = perSubscriber.GetValueOrDefault(i) ?? [];
        missed += Enumerable.Range(1, epochs).Count(e => !got.Contains(e));
        duplicated += got.Count - got.Distinct().Count();
    }
    var latencies = received.Select(r => r.LatencyMs).Order().ToArray();
    return new Result(subscribers, epochs, connecting.Elapsed, received.Count, missed, duplicated,
        Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Length > 0 ? latencies[^1] : double.NaN);
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static async Task<Guid> UploadAsync(HttpClient http)
{
    const int samples = 2000;
    var random = new Random(7);
    float[] Floats(int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle()).ToArray();
    var npz = new MemoryStream();
    NpyWriter.WriteNpz(npz,
    [
        NdArray.Of("x", Floats(samples * 8), samples, 8),
        NdArray.Of("a", Floats(samples), samples, 1),
        NdArray.Of("b", Floats(samples).Select(v => v > 0.5f ? 1f : 0f).ToArray(), samples, 1),
    ]);
    var form = new MultipartFormDataContent { { new ByteArrayContent(npz.ToArray()), "file", "liveload.npz" } };
    var response = await http.PostAsync("/api/datasets", form);
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
}


sealed record Result(int Subscribers, int Epochs, TimeSpan Connecting, int Received, int Missed, int Duplicated, double P50, double P99, double Max)
{
    public override string ToString() =>
        $"subscribers {Subscribers,5}: connected in {Connecting.TotalSeconds:F1} s; EpochEnd events received {Received} of {Subscribers * Epochs}, " +
        $"missed {Missed}, duplicated {Duplicated}; epoch end in the worker -> client: p50 {P50:F1} ms, p99 {P99:F1} ms, max {Max:F1} ms";
}

sealed record LoadOptions(int Subscribers, int Epochs, string? Postgres)
{
    public static LoadOptions Parse(string[] args)
    {
        int subscribers = 1000, epochs = 40;
        string? postgres = null;
        for (int i = 0; i < args.Length; i++)
            switch (args[i])
            {
                case "--subscribers": subscribers = int.Parse(args[++i]); break;
                case "--epochs": epochs = int.Parse(args[++i]); break;
                case "--postgres": postgres = args[++i]; break;
                default: throw new ArgumentException($"Unknown argument {args[i]}; see the comment at the top of Program.cs.");
            }
        return new LoadOptions(subscribers, epochs, postgres);
    }
}
