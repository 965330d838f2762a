using System.Text.Json.Serialization;

namespace TrainService.Api.Live;

public static class LiveApi
{
    /// <summary>SignalR (JSON, and MessagePack for clients that ask), the run streams and their relay.</summary>
    public static IHostApplicationBuilder AddLiveMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSignalR()
            .AddJsonProtocol(o => o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)
            .AddMessagePackProtocol();
        builder.Services.AddSingleton<RunStreams>();
        builder.Services.AddHostedService<RunEventRelay>();
        return builder;
    }

    /// <summary>The hub at /hubs/training (docs/live-metrics.md).</summary>
    public static IEndpointRouteBuilder MapLiveApi(this IEndpointRouteBuilder routes)
    {
        routes.MapHub<TrainingHub>("/hubs/training");
        return routes;
    }
}
