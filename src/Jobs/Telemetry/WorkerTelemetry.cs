using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TrainService.Jobs.Hosting;

namespace TrainService.Jobs.Telemetry;

public static class WorkerTelemetry
{
    /// <summary>
    /// A standalone worker's telemetry: training metrics and runtime metrics on a Prometheus
    /// endpoint of its own when TrainService:Worker:MetricsPort is set (http://+:PORT/metrics),
    /// traces and metrics to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static IHostApplicationBuilder AddWorkerTelemetry(this IHostApplicationBuilder builder)
    {
        var port = builder.Configuration.GetValue<int?>($"{WorkerOptions.Section}:MetricsPort");
        bool otlp = !string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry.WithMetrics(metrics =>
        {
            metrics.AddMeter(TrainingTelemetry.Name, GpuMemory.MeterName).AddRuntimeInstrumentation();
            if (port is { } p) metrics.AddPrometheusHttpListener(o => { o.Host = "+"; o.Port = p; });
            if (otlp) metrics.AddOtlpExporter();
        });
        if (otlp) telemetry.WithTracing(tracing => tracing.AddSource(TrainingTelemetry.Name).AddOtlpExporter());
        return builder;
    }
}
