using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Hosting;
using TrainService.Jobs.Data;
using TrainService.Jobs.Live;

namespace TrainService.Api.Live;

/// <summary>
/// This API instance's subscribers, by run, and what has been relayed to them. Each run's stream
/// has one lock: the relay sends new events to the run's group under it, and a subscriber's replay
/// and joining the group happen under it too, so a subscriber gets every event once, in order,
/// whether it arrives in the replay or live. Only runs with subscribers here are followed.
/// </summary>
public sealed class RunStreams(IServiceScopeFactory scopes, IHubContext<TrainingHub> hub, IOptions<LimitsOptions> limits, ILogger<RunStreams> logger)
{
    /// <summary>Admin watchers of every run.</summary>
    public const string AllRunsGroup = "runs";

    /// <summary>Watchers of every run of one project.</summary>
    public static string ProjectGroupOf(string project) => "runs:" + project;

    public static string GroupOf(Guid runId) => "run:" + runId.ToString("N");

    sealed class Stream
    {
        public readonly SemaphoreSlim Lock = new(1, 1);

        /// <summary>The last sequence sent to the group; -1 until the stream has looked at the database.</summary>
        public long Relayed = -1;

        public int Subscribers;
    }

    readonly Dictionary<Guid, Stream> streams = [];
    readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, bool>> runsOf = new();
    /// <summary>Connections watching every run: the project they are kept to ("" for admin keys).</summary>
    readonly ConcurrentDictionary<string, string> watchingAll = new();

    public int FollowedRuns
    {
        get { lock (streams) return streams.Count; }
    }

    /// <param name="project">The caller's project (null: an admin key, every project); a run of another is not found.</param>
    public async Task<bool> SubscribeAsync(string connectionId, Guid runId, long afterSequence, string? project, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        db.Project = project;
        if (!await db.Runs.AnyAsync(r => r.Id == runId, cancellationToken)) return false;

        var following = runsOf.GetOrAdd(connectionId, _ => new());
        int most = limits.Value.MaxSubscriptionsPerConnection;
        if (!following.ContainsKey(runId) && following.Count >= most)
            throw new HubException($"This connection follows {following.Count} runs, the most one may (TrainService:Limits:MaxSubscriptionsPerConnection); unsubscribe from one first.");
        bool added = following.TryAdd(runId, true);
        Stream stream;
        lock (streams)
        {
            if (!streams.TryGetValue(runId, out stream!)) streams[runId] = stream = new Stream();
            if (added) stream.Subscribers++;
        }
        await stream.Lock.WaitAsync(cancellationToken);
        try
        {
            await CatchUpLockedAsync(db, runId, stream, cancellationToken);
            foreach (var missed in await RunEventLog.ReadAsync(db, runId, afterSequence, stream.Relayed, cancellationToken))
                await hub.Clients.Client(connectionId).SendAsync(RunEventJson.KindOf(missed), missed, cancellationToken);
            await hub.Groups.AddToGroupAsync(connectionId, GroupOf(runId), cancellationToken);
        }
        finally
        {
            stream.Lock.Release();
        }
        return true;
    }

    public async Task UnsubscribeAsync(string connectionId, Guid runId)
    {
        await hub.Groups.RemoveFromGroupAsync(connectionId, GroupOf(runId));
        if (runsOf.TryGetValue(connectionId, out var runs) && runs.TryRemove(runId, out _)) Release(runId);
    }

    public async Task SubscribeAllAsync(string connectionId, string? project, CancellationToken cancellationToken)
    {
        await hub.Groups.AddToGroupAsync(connectionId, project is null ? AllRunsGroup : ProjectGroupOf(project), cancellationToken);
        watchingAll[connectionId] = project ?? "";
    }

    public async Task UnsubscribeAllAsync(string connectionId)
    {
        if (watchingAll.TryRemove(connectionId, out var project))
            await hub.Groups.RemoveFromGroupAsync(connectionId, project.Length == 0 ? AllRunsGroup : ProjectGroupOf(project));
    }

    /// <summary>SignalR drops a closed connection from its groups; what is left is our count.</summary>
    public Task DisconnectedAsync(string connectionId)
    {
        watchingAll.TryRemove(connectionId, out _);
        if (runsOf.TryRemove(connectionId, out var runs))
            foreach (var runId in runs.Keys) Release(runId);
        return Task.CompletedTask;
    }

    void Release(Guid runId)
    {
        lock (streams)
            if (streams.TryGetValue(runId, out var stream) && --stream.Subscribers <= 0) streams.Remove(runId);
    }

    /// <summary>
    /// A run's stream moved on (a signal): relays what is new to its subscribers here, and to those
    /// watching every run. The event the signal carries is sent as it is when it is the next one
    /// the subscribers expect; otherwise (a signal lost or too big to carry) the database says what is new.
    /// </summary>
    public async Task CommittedAsync(Guid runId, long sequence, IRunEvent? carried, CancellationToken cancellationToken)
    {
        Stream? stream;
        lock (streams) streams.TryGetValue(runId, out stream);
        if (stream is null && watchingAll.IsEmpty) return;
        await using var scope = scopes.CreateAsyncScope();
        TrainDbContext Db() => scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        if (!watchingAll.IsEmpty && await Db().Runs.Where(r => r.Id == runId).Select(r => r.Project).FirstOrDefaultAsync(cancellationToken) is { } runProject)
            foreach (var runEvent in carried is not null ? [carried] : await RunEventLog.ReadAsync(Db(), runId, sequence - 1, sequence, cancellationToken))
                await hub.Clients.Groups(AllRunsGroup, ProjectGroupOf(runProject)).SendAsync(RunEventJson.KindOf(runEvent), runEvent, cancellationToken);
        if (stream is null) return;
        await stream.Lock.WaitAsync(cancellationToken);
        try
        {
            if (carried is not null && carried.Sequence == stream.Relayed + 1)
            {
                await hub.Clients.Group(GroupOf(runId)).SendAsync(RunEventJson.KindOf(carried), carried, cancellationToken);
                stream.Relayed = carried.Sequence;
            }
            else if (carried is null || carried.Sequence > stream.Relayed)
            {
                await CatchUpLockedAsync(Db(), runId, stream, cancellationToken);
            }
        }
        finally
        {
            stream.Lock.Release();
        }
    }

    /// <summary>Batch progress goes straight to the run's subscribers: it is not stored, and a lost one is followed by the next.</summary>
    public async Task ProgressAsync(BatchProgressEvent progress, CancellationToken cancellationToken)
    {
        bool followed;
        lock (streams) followed = streams.ContainsKey(progress.RunId);
        if (followed) await hub.Clients.Group(GroupOf(progress.RunId)).SendAsync(RunEventKinds.BatchProgress, progress, cancellationToken);
    }

    /// <summary>Every followed run, from the database: makes up for signals lost (a dropped LISTEN connection, a full queue).</summary>
    public async Task CatchUpAllAsync(CancellationToken cancellationToken)
    {
        List<(Guid RunId, Stream Stream)> followed;
        lock (streams) followed = streams.Select(s => (s.Key, s.Value)).ToList();
        if (followed.Count == 0) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        var ids = followed.Select(f => f.RunId).ToList();
        var heads = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.EventSequence }).ToDictionaryAsync(r => r.Id, r => r.EventSequence, cancellationToken);
        foreach (var (runId, stream) in followed)
        {
            if (!heads.TryGetValue(runId, out var head) || head <= Volatile.Read(ref stream.Relayed)) continue;
            await stream.Lock.WaitAsync(cancellationToken);
            try
            {
                await CatchUpLockedAsync(db, runId, stream, cancellationToken);
            }
            finally
            {
                stream.Lock.Release();
            }
        }
    }

    async Task CatchUpLockedAsync(TrainDbContext db, Guid runId, Stream stream, CancellationToken cancellationToken)
    {
        if (stream.Relayed < 0)
        {
            // A new stream: nobody here has been sent anything yet, so it starts where the run stands.
            stream.Relayed = await db.Runs.Where(r => r.Id == runId).Select(r => r.EventSequence).FirstOrDefaultAsync(cancellationToken);
            return;
        }
        var fresh = await RunEventLog.ReadAsync(db, runId, stream.Relayed, long.MaxValue, cancellationToken);
        foreach (var runEvent in fresh)
        {
            await hub.Clients.Group(GroupOf(runId)).SendAsync(RunEventJson.KindOf(runEvent), runEvent, cancellationToken);
            stream.Relayed = runEvent.Sequence;
        }
        if (fresh.Count > 0) logger.LogDebug("Relayed run {RunId}'s events up to {Sequence}.", runId, stream.Relayed);
    }
}
