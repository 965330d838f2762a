using System.Diagnostics.Metrics;
using System.Text.Json;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TrainService.Jobs.Data;
using TrainService.Jobs.Telemetry;

namespace TrainService.Api.Infrastructure;

/// <summary>
/// Health endpoints (/healthz: the process answers; /readyz: the database and the queue answer) and
/// OpenTelemetry: requests, runs by status, queue length, training's epoch duration and samples per
/// second, GPU memory where a GPU is, and the runtime's own metrics, scraped by Prometheus at
/// /metrics; traces (requests, run attempts) go to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
public static class Observability
{
    public const string ServiceMeter = "TrainService.Service";

    public static IHostApplicationBuilder AddObservability(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseCheck>("database", tags: ["ready"])
            .AddCheck<QueueCheck>("queue", tags: ["ready"]);
        builder.Services.AddSingleton<ServiceGauges>();
        bool otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation()
                .AddMeter(ServiceMeter, TrainingTelemetry.Name, GpuMemory.MeterName)
                .AddPrometheusExporter();
            if (otlp) metrics.AddOtlpExporter();
        });
        telemetry.WithTracing(tracing =>
        {
            tracing.AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics"))
                .AddSource(TrainingTelemetry.Name);
            if (otlp) tracing.AddOtlpExporter();
        });
        return builder;
    }

    public static WebApplication MapObservability(this WebApplication app)
    {
        // The gauges read the database when scraped: they exist once the app does.
        app.Services.GetRequiredService<ServiceGauges>();
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous().DisableRateLimiting();
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready"), ResponseWriter = WriteReadinessAsync })
            .AllowAnonymous().DisableRateLimiting();
        app.MapPrometheusScrapingEndpoint("/metrics").AllowAnonymous().DisableRateLimiting();
        return app;
    }

    static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), error = e.Value.Exception?.Message ?? e.Value.Description }),
        }, JsonSerializerOptions.Web));
    }

    sealed class DatabaseCheck(IServiceScopeFactory scopes) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
                await db.Runs.AnyAsync(timeout.Token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is not OperationCanceledException || timeout.IsCancellationRequested)
            {
                return HealthCheckResult.Unhealthy("The database does not answer.", e);
            }
        }
    }

    sealed class QueueCheck(JobStorage storage) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                storage.GetMonitoringApi().Queues();
                return Task.FromResult(HealthCheckResult.Healthy());
            }
            catch (Exception e)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy("The queue's storage does not answer.", e));
            }
        }
    }

    /// <summary>Runs by status and queue lengths, read when scraped (at most every five seconds).</summary>
    sealed class ServiceGauges
    {
        static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(5);
        readonly IServiceScopeFactory scopes;
        readonly JobStorage storage;
        readonly Meter meter = new(ServiceMeter);
        (DateTime At, List<Measurement<long>> Values) runs = (DateTime.MinValue, []);

        public ServiceGauges(IServiceScopeFactory scopes, JobStorage storage)
        {
            this.scopes = scopes;
            this.storage = storage;
            meter.CreateObservableGauge("trainservice.runs", ReadRuns, "{run}", "Runs by status.");
            meter.CreateObservableGauge("trainservice.queue.length", ReadQueues, "{job}", "Jobs waiting in each queue.");
        }

        IEnumerable<Measurement<long>> ReadRuns()
        {
            lock (meter)
            {
                if (DateTime.UtcNow - runs.At < KeepFor) return runs.Values;
                using var scope = scopes.CreateScope();
                var counts = scope.ServiceProvider.GetRequiredService<TrainDbContext>().Runs.GroupBy(r => r.Status)
                    .Select(g => new { Status = g.Key, Count = g.LongCount() }).ToList();
                runs = (DateTime.UtcNow, Enum.GetValues<RunStatus>()
                    .Select(s => new Measurement<long>(counts.FirstOrDefault(c => c.Status == s)?.Count ?? 0, new KeyValuePair<string, object?>("status", s.Name())))
                    .ToList());
                return runs.Values;
            }
        }

        IEnumerable<Measurement<long>> ReadQueues() =>
            storage.GetMonitoringApi().Queues().Select(q => new Measurement<long>(q.Length, new KeyValuePair<string, object?>("queue", q.Name))).ToList();
    }
}
