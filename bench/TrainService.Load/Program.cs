using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using TrainService.Engine.Datasets;

// The API under load (issue 8): N concurrent clients on loopback uploading datasets, creating
// runs of a tiny model, polling runs, lists and metrics, and following their runs on the hub,
// against the API and two worker nodes in processes of their own on one PostgreSQL. Two phases:
// steady, then the same while one worker is SIGKILLed halfway (its runs must resume elsewhere).
// Reports requests per second and p50/p99 per kind, 5xx answers, and runs lost or trained twice.
//
//   dotnet run -c Release --project bench/TrainService.Load -- [--clients 100] [--seconds 30]

int clients = 100, seconds = 30;
for (int i = 0; i < args.Length; i++)
    switch (args[i])
    {
        case "--clients": clients = int.Parse(args[++i]); break;
        case "--seconds": seconds = int.Parse(args[++i]); break;
        default: throw new ArgumentException($"Unknown argument {args[i]}; see the comment at the top of Program.cs.");
    }

await using var postgres = await LocalPostgres.StartAsync();
var connection = await postgres.CreateDatabaseAsync("load");
var dataDir = Directory.CreateTempSubdirectory("trainservice-load-").FullName;
int port = Node.FreePort();
var baseUrl = $"http://127.0.0.1:{port}";
var shared = new Dictionary<string, string>
{
    ["ConnectionStrings__Postgres"] = connection,
    ["TrainService__DataDir"] = dataDir,
    ["Logging__LogLevel__Default"] = "Warning",
    // A killed node is noticed in seconds, not the production minute.
    ["TrainService__Worker__StaleAfter"] = "00:00:03",
    ["TrainService__Worker__HeartbeatInterval"] = "00:00:00.200",
    ["TrainService__Worker__InvisibilityTimeout"] = "00:00:04",
};
using var api = Node.Start("TrainService.Api.dll", new(shared)
{
    ["TrainService__Worker__Enabled"] = "false",
    ["ASPNETCORE_URLS"] = baseUrl,
    ["TrainService__Limits__RequestsPerMinute"] = "1000000",
    ["TrainService__Limits__MaxRunningRunsPerProject"] = "1000",
});
var workers = new List<Node>
{
    Node.Start("TrainService.Jobs.dll", new(shared) { ["TrainService__Worker__NodeName"] = "load-worker-1" }),
    Node.Start("TrainService.Jobs.dll", new(shared) { ["TrainService__Worker__NodeName"] = "load-worker-2" }),
};
using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
await api.WaitUntilServingAsync(http);

Console.WriteLine($"load: {clients} concurrent clients, {seconds} s per phase; API, 2 workers and PostgreSQL on this machine ({Environment.ProcessorCount} cores)");
try
{
    Console.WriteLine(await PhaseAsync("steady", killAt: null));
    Console.WriteLine(await PhaseAsync("worker killed", killAt: TimeSpan.FromSeconds(seconds / 2.0)));
}
catch
{
    Console.Error.WriteLine("API output:\n" + api.Output);
    foreach (var worker in workers) Console.Error.WriteLine("worker output:\n" + worker.Output);
    throw;
}
finally
{
    foreach (var worker in workers) worker.Dispose();
}
Directory.Delete(dataDir, recursive: true);
return;

async Task<string> PhaseAsync(string name, TimeSpan? killAt)
{
    var dataset = await UploadAsync(http);
    var graph = await StoreGraphAsync(http);
    var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>();
    var statuses = new ConcurrentDictionary<string, int>();
    var runs = new ConcurrentBag<Guid>();
    long serverErrors = 0;
    var clock = Stopwatch.StartNew();
    var end = TimeSpan.FromSeconds(seconds);

    async Task<HttpResponseMessage> Timed(string kind, Func<Task<HttpResponseMessage>> call)
    {
        var started = Stopwatch.GetTimestamp();
        var response = await call();
        latencies.GetOrAdd(kind, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        statuses.AddOrUpdate($"{(int)response.StatusCode}", 1, (_, n) => n + 1);
        if ((int)response.StatusCode >= 500) Interlocked.Increment(ref serverErrors);
        return response;
    }

    var killer = killAt is { } at
        ? Task.Run(async () => { await Task.Delay(at); workers[0].Kill(); })
        : Task.CompletedTask;

    await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = clients }, async (client, _) =>
    {
        var random = new Random(client);
        await using var hub = new HubConnectionBuilder().WithUrl($"{baseUrl}/hubs/training").Build();
        hub.On<JsonElement>("EpochEnd", _ => { });
        await hub.StartAsync();
        var mine = new List<Guid>();
        while (clock.Elapsed < end)
        {
            int dice = random.Next(100);
            if (dice < 5)
            {
                using var response = await Timed("upload dataset", () => http.PostAsync("/api/datasets", DatasetForm()));
            }
            else if (dice < 20)
            {
                using var response = await Timed("create run", () => http.PostAsync("/api/runs", new StringContent(
                    $$$"""{"graphId": "{{{graph}}}", "datasetId": "{{{dataset}}}", "compile": {"optimizer": "adam", "loss": "mse"}, "fit": {"epochs": 2, "batch_size": 32}}""",
                    Encoding.UTF8, "application/json")));
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
                    runs.Add(id);
                    mine.Add(id);
                    var subscribe = Stopwatch.GetTimestamp();
                    await hub.InvokeAsync("SubscribeRun", id, 0L);
                    latencies.GetOrAdd("hub subscribe", _ => []).Add(Stopwatch.GetElapsedTime(subscribe).TotalMilliseconds);
                }
            }
            else
            {
                var id = mine.Count > 0 ? mine[random.Next(mine.Count)] : (Guid?)null;
                var path = (dice % 3, id) switch
                {
                    (0, { } run) => $"/api/runs/{run}",
                    (1, { } run) => $"/api/runs/{run}/metrics",
                    _ => "/api/runs?limit=20",
                };
                using var response = await Timed("read", () => http.GetAsync(path));
            }
        }
    });
    var elapsed = clock.Elapsed;
    await killer;

    // Every run created must end, trained once: a killed node's runs resume on the other.
    var deadline = DateTime.UtcNow.AddMinutes(5);
    var outcomes = new Dictionary<Guid, JsonElement>();
    while (DateTime.UtcNow < deadline)
    {
        foreach (var id in runs.Where(id => !outcomes.ContainsKey(id)))
        {
            var run = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}");
            if (run.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled") outcomes[id] = run;
        }
        if (outcomes.Count == runs.Count) break;
        await Task.Delay(500);
    }
    int lost = runs.Count - outcomes.Count;
    int failed = outcomes.Values.Count(r => r.GetProperty("status").GetString() != "succeeded");
    int resumed = outcomes.Values.Count(r => r.GetProperty("attempts").EnumerateArray().Any(a => a.GetProperty("outcome").GetString() == "lost"));
    int trainedTwice = outcomes.Values.Count(r => r.GetProperty("attempts").EnumerateArray().Count(a => a.GetProperty("outcome").GetString() == "succeeded") > 1);
    int epochsWrong = 0;
    foreach (var id in outcomes.Keys)
        if ((await http.GetFromJsonAsync<JsonElement>($"/api/runs/{id}/metrics")).GetArrayLength() != 2) epochsWrong++;

    var report = new StringBuilder($"phase '{name}': {elapsed.TotalSeconds:F1} s, {latencies.Values.Sum(l => l.Count)} requests\n");
    foreach (var (kind, values) in latencies.OrderBy(l => l.Key))
    {
        var sorted = values.Order().ToArray();
        report.AppendLine($"  {kind,-16} {sorted.Length,6} requests  {sorted.Length / elapsed.TotalSeconds,7:F1}/s  p50 {Percentile(sorted, 0.5),7:F1} ms  p99 {Percentile(sorted, 0.99),7:F1} ms");
    }
    report.AppendLine($"  answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x {s.Value}"))}; 5xx: {serverErrors}");
    report.Append($"  runs: {runs.Count} created, {outcomes.Count} ended ({failed} not succeeded), {lost} lost, {trainedTwice} trained twice, "
        + $"{epochsWrong} with other than 2 epochs of metrics, {resumed} resumed after a lost attempt");
    return report.ToString();
}

static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

static MultipartFormDataContent DatasetForm()
{
    const int samples = 256;
    var random = new Random(11);
    var npz = new MemoryStream();
    NpyWriter.WriteNpz(npz,
    [
        NdArray.Of("x", Enumerable.Range(0, samples * 8).Select(_ => random.NextSingle()).ToArray(), samples, 8),
        NdArray.Of("y", Enumerable.Range(0, samples).Select(_ => random.NextSingle()).ToArray(), samples, 1),
    ]);
    return new MultipartFormDataContent { { new ByteArrayContent(npz.ToArray()), "file", "load.npz" } };
}

static async Task<Guid> UploadAsync(HttpClient http)
{
    var response = await http.PostAsync("/api/datasets", DatasetForm());
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
}

static async Task<Guid> StoreGraphAsync(HttpClient http)
{
    const string graph = """
    { "inputs": [{"name": "x", "shape": [8]}],
      "nodes": [{"name": "h", "type": "Dense", "config": {"units": 8, "activation": "relu"}, "inputs": ["x"]},
                {"name": "y", "type": "Dense", "config": {"units": 1}, "inputs": ["h"]}],
      "outputs": ["y"] }
    """;
    var response = await http.PostAsync("/api/graphs", new StringContent(graph, Encoding.UTF8, "application/json"));
    response.EnsureSuccessStatusCode();
    return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
}
