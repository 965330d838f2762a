using Microsoft.AspNetCore.SignalR;
using TrainService.Api.Access;

namespace TrainService.Api.Live;

/// <summary>
/// /hubs/training: a run's live stream (docs/live-metrics.md). Events: RunStatus and EpochEnd
/// (durable, numbered, replayed from the number a client passes) and BatchProgress (transient).
/// A caller sees the runs of its key's project only (every run with an admin key).
/// </summary>
public sealed class TrainingHub(RunStreams streams) : Hub
{
    /// <summary>Replays the run's events above <paramref name="afterSequence"/> (0: all), then streams it live.</summary>
    public async Task SubscribeRun(Guid runId, long afterSequence)
    {
        // A run of another project is "not found", as it is over REST.
        if (!await streams.SubscribeAsync(Context.ConnectionId, runId, afterSequence, Callers.ProjectOf(Context.User!), Context.ConnectionAborted))
            throw new HubException($"Run {runId} was not found.");
    }

    public Task UnsubscribeRun(Guid runId) => streams.UnsubscribeAsync(Context.ConnectionId, runId);

    /// <summary>RunStatus and EpochEnd of every run from now on, for a run list (no replay: read GET /api/runs first).</summary>
    public Task SubscribeAll() => streams.SubscribeAllAsync(Context.ConnectionId, Callers.ProjectOf(Context.User!), Context.ConnectionAborted);

    public Task UnsubscribeAll() => streams.UnsubscribeAllAsync(Context.ConnectionId);

    public override Task OnDisconnectedAsync(Exception? exception) => streams.DisconnectedAsync(Context.ConnectionId);
}
