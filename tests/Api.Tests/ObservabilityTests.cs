using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>
/// Health and readiness, the Prometheus scrape with the service's and training's metrics, and
/// the run id on every log line of a run.
/// </summary>
public sealed class ObservabilityTests
{
    static readonly NdArray[] Data = [NdArray.Of("features", TestData.Floats(64 * 4, 1), 64, 4), NdArray.Of("label", TestData.Floats(64, 2), 64, 1)];

    const string Request = """
    {"graph": { "inputs": [{"name": "features", "shape": [4]}],
                "nodes": [{"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["features"]}], "outputs": ["label"] },
     "datasetId": "DATASET", "compile": {"optimizer": "sgd", "loss": "mse"}, "fit": {"epochs": 2}}
    """;

    [Fact]
    public async Task HealthReadinessAndMetricsAfterARun()
    {
        const string adminKey = "admin-key-for-the-observability-tests-0123456789";
        var logs = new ScopedLogs();
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?> { ["TrainService:Access:AdminKey"] = adminKey }, logging: logs);
        var anonymous = service.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        var ready = await anonymous.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Healthy", readiness.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", readiness.GetProperty("checks").GetProperty("queue").GetProperty("status").GetString());

        var client = service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        var dataset = await client.UploadAsync(Data);
        var run = (await client.PostJsonAsync("/api/runs", Request.Replace("DATASET", dataset.ToString()))).Body.GetProperty("id").GetGuid();
        await client.WaitForRunAsync(run, TimeSpan.FromSeconds(60), "succeeded");

        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("http_server_request_duration_seconds_bucket", metrics);
        // Training's instruments are process-wide (as .NET's own are): runs of other tests in this process count too.
        var epochs = System.Text.RegularExpressions.Regex.Matches(metrics, @"trainservice_epoch_duration_seconds_count\{[^}]*device=""cpu""[^}]*\} (\d+)");
        Assert.True(epochs.Sum(m => long.Parse(m.Groups[1].Value)) >= 2, metrics);
        Assert.Contains("trainservice_training_samples_per_second", metrics);
        // Every status has its series. (Its value is this host's count in production; in this test process several hosts' gauges share the name.)
        foreach (var status in new[] { "queued", "running", "succeeded", "failed", "canceled" })
            Assert.Matches("trainservice_runs\\{[^}]*status=\"" + status + "\"[^}]*\\} \\d+", metrics);
        Assert.Matches(@"trainservice_run_attempts_total\{[^}]*outcome=""succeeded""", metrics);
        Assert.Contains("trainservice_queue_length", metrics);

        // Every line the run's job logged carries the run's id.
        var jobLines = logs.Lines.Where(l => l.Category.StartsWith("TrainService.Jobs.Runs", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(jobLines);
        Assert.All(jobLines, line => Assert.Equal(run.ToString(), line.Scope.GetValueOrDefault("RunId")?.ToString()));
    }

    [Fact]
    public async Task ReadinessFailsWhileTheDatabaseIsDown()
    {
        var server = new PostgresServer();
        await server.InitializeAsync();
        var disposed = false;
        try
        {
            await using var service = new ServiceFactory(await server.CreateDatabaseAsync());
            var client = service.CreateClient();
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
            await server.DisposeAsync();
            disposed = true;
            var down = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
            var body = JsonDocument.Parse(await down.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("Unhealthy", body.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            if (!disposed) await server.DisposeAsync();
        }
    }

    /// <summary>Log lines with the values of their scopes, as a structured log sink sees them.</summary>
    public sealed class ScopedLogs : ILoggerProvider, ISupportExternalScope
    {
        IExternalScopeProvider scopes = new LoggerExternalScopeProvider();
        readonly List<(string Category, string Message, Dictionary<string, object?> Scope)> lines = [];

        public IReadOnlyList<(string Category, string Message, Dictionary<string, object?> Scope)> Lines
        {
            get { lock (lines) return lines.ToList(); }
        }

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        sealed class Logger(ScopedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                var scope = new Dictionary<string, object?>();
                owner.scopes.ForEachScope((value, values) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object>> pairs)
                        foreach (var (k, v) in pairs) values[k] = v;
                }, scope);
                lock (owner.lines) owner.lines.Add((category, formatter(state, exception) + (exception is null ? "" : "\n" + exception), scope));
            }
        }
    }
}
