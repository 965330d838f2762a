using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;
using TrainService.Jobs.Live;
using TrainService.Jobs.Telemetry;

namespace TrainService.Jobs.Runs;

/// <summary>
/// The Hangfire job that trains one run. It receives only the run's id and re-reads the run, so
/// that it is safe to deliver twice: it trains only after claiming the run in the database (queued,
/// or running on a worker whose heartbeat went stale), and a delivery that finds the run live
/// elsewhere or finished does nothing. Each claim is an attempt, recorded with its node, device,
/// times and how it ended; a claim that finds an earlier attempt unfinished records that one as
/// lost. While it trains it keeps the run's heartbeat fresh and watches for a cancel request,
/// which stops training within one batch.
/// Training stops for a cancel request or for this host shutting down, not for Hangfire's job
/// token: Hangfire also fires that token when the job's state changes under it, which is what a
/// second delivery that finds the run taken does (it completes the job), and that must not stop
/// the delivery that trains.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed class TrainRunJob(
    IServiceScopeFactory scopes, RunTrainer trainer, WorkerNode node, RunQueue queue, IRunEventSignal signal, DatabaseRetry retry,
    IBackgroundJobClient jobs, IOptions<WorkerOptions> options, IOptions<LimitsOptions> limits, IHostApplicationLifetime lifetime, TimeProvider clock,
    ILogger<TrainRunJob> logger)
{
    public async Task RunAsync(Guid runId)
    {
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId });
        var stopping = lifetime.ApplicationStopping;
        await retry.RunAsync("count the delivery",
            () => UpdateAsync(runId, s => s.SetProperty(r => r.Deliveries, r => r.Deliveries + 1), CancellationToken.None), stopping);
        if (await retry.RunAsync("claim the run", () => ClaimAsync(runId, stopping), stopping) is not { } claim)
        {
            logger.LogInformation("Run {RunId} is finished, canceled or live on another worker; this delivery does nothing.", runId);
            return;
        }

        logger.LogInformation("Run {RunId} attempt {Attempt} starts on {Node} ({Device}).", runId, claim.Attempt, node.Name, node.Device);
        using var span = TrainingTelemetry.Source.StartActivity("train run");
        span?.SetTag("run.id", runId).SetTag("run.attempt", claim.Attempt).SetTag("node", node.Name).SetTag("device", node.Device);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var watching = new CancellationTokenSource();
        var watch = WatchAsync(runId, stop, watching.Token);
        Exception? failure = null;
        try
        {
            // Training holds a thread for as long as it runs: a dedicated one, not the pool's.
            await Task.Factory.StartNew(() => trainer.Train(runId, claim.Sequence, node.Name, stop.Token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            await watching.CancelAsync();
            await watch;
        }

        var ending = failure switch
        {
            null => Ending.Succeeded(),
            OperationCanceledException when stopping.IsCancellationRequested => Ending.Released(),
            OperationCanceledException when stop.IsCancellationRequested => Ending.Canceled(),
            _ => Ending.Failed(failure, Failures.KindOf(failure), claim.EstimatedBytes),
        };
        if (failure is not null && ending.Outcome == AttemptOutcomes.Failed)
            logger.LogWarning(failure, "Run {RunId} attempt {Attempt} failed ({Kind}).", runId, claim.Attempt, ending.Kind);
        if (ending.Kind == FailureKinds.Infrastructure && claim.Attempt < options.Value.MaxAttempts)
            ending = ending with { Outcome = AttemptOutcomes.Retried, Status = RunStatus.Queued };
        await retry.RunAsync("record how the run ended", () => EndAsync(runId, claim.Attempt, ending), CancellationToken.None);
        TrainingTelemetry.AttemptEnded(node.Device, ending.Outcome, ending.Kind);
        logger.LogInformation("Run {RunId} attempt {Attempt} ended: {Outcome}.", runId, claim.Attempt, ending.Outcome);
        span?.SetTag("run.outcome", ending.Outcome).SetStatus(ending.Outcome == AttemptOutcomes.Failed ? System.Diagnostics.ActivityStatusCode.Error : System.Diagnostics.ActivityStatusCode.Ok, ending.Error);
        if (ending.Status == RunStatus.Queued)
        {
            // Given back (this worker stops) or to be tried again: queued at once, for any node to take.
            await retry.RunAsync("queue the run again", async () =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
                await queue.EnqueueAsync(db, runId, node.Device, CancellationToken.None);
            }, CancellationToken.None);
            logger.LogInformation("Run {RunId} attempt {Attempt} {Outcome}; queued again.", runId, claim.Attempt, ending.Outcome);
        }
    }

    /// <summary>How an attempt ended and what that makes of the run.</summary>
    sealed record Ending(string Outcome, RunStatus Status, string? Kind, string? Error)
    {
        public static Ending Succeeded() => new(AttemptOutcomes.Succeeded, RunStatus.Succeeded, null, null);

        public static Ending Canceled() => new(AttemptOutcomes.Canceled, RunStatus.Canceled, null, null);

        public static Ending Released() => new(AttemptOutcomes.Released, RunStatus.Queued, null, null);

        public static Ending Failed(Exception e, string kind, long estimatedBytes) =>
            new(AttemptOutcomes.Failed, RunStatus.Failed, kind, Failures.Describe(e, kind, estimatedBytes));
    }

    sealed record Claim(int Attempt, long Sequence, long EstimatedBytes);

    /// <summary>
    /// Claims the run for this delivery, in one transaction with its attempt record and its
    /// RunStatus event; null when the run is not to be trained here (or has been lost too often).
    /// </summary>
    async Task<Claim?> ClaimAsync(Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var staleBefore = now - options.Value.StaleAfter;
        var nodeName = node.Name;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await ProjectIsFullAsync(db, runId, staleBefore, cancellationToken)) return null;
        // One statement, so two workers can never both win.
        int claimed = await db.Runs
            .Where(r => r.Id == runId && !r.CancelRequested
                && (r.Status == RunStatus.Queued || (r.Status == RunStatus.Running && (r.HeartbeatAt == null || r.HeartbeatAt < staleBefore))))
            .ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Running)
                .SetProperty(r => r.Node, nodeName)
                .SetProperty(r => r.HeartbeatAt, now)
                .SetProperty(r => r.StartedAt, r => r.StartedAt ?? now)
                .SetProperty(r => r.Attempts, r => r.Attempts + 1)
                .SetProperty(r => r.Error, (string?)null), cancellationToken);
        if (claimed == 0) return null;
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.Attempts, r.EstimatedMemoryBytes }).SingleAsync(cancellationToken);

        // An attempt still open is one whose worker vanished without a word.
        await db.RunAttempts.Where(a => a.RunId == runId && a.EndedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.EndedAt, now)
            .SetProperty(a => a.Outcome, AttemptOutcomes.Lost)
            .SetProperty(a => a.FailureKind, FailureKinds.Infrastructure)
            .SetProperty(a => a.Error, "The worker stopped answering (no heartbeat) before the attempt ended."), cancellationToken);
        var setbacks = await db.RunAttempts.CountAsync(a => a.RunId == runId
            && (a.Outcome == AttemptOutcomes.Lost || a.Outcome == AttemptOutcomes.Retried), cancellationToken);
        if (setbacks >= options.Value.MaxAttempts)
        {
            var error = $"The run was lost or interrupted {setbacks} times (TrainService:Worker:MaxAttempts); it is not tried again. The attempts show where.";
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Failed)
                .SetProperty(r => r.Error, error)
                .SetProperty(r => r.FinishedAt, now)
                .SetProperty(r => r.Attempts, r => r.Attempts - 1), cancellationToken);
            var failed = await RunEventLog.AppendStatusAsync(db, runId, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            signal.Committed(failed);
            logger.LogWarning("Run {RunId} failed: {Error}", runId, error);
            return null;
        }

        db.RunAttempts.Add(new RunAttemptRecord { RunId = runId, Attempt = run.Attempts, Node = nodeName, Device = node.Device, StartedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        var running = await RunEventLog.AppendStatusAsync(db, runId, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        signal.Committed(running);
        return new Claim(run.Attempts, running.Sequence, run.EstimatedMemoryBytes);
    }

    /// <summary>
    /// A project trains at most TrainService:Limits:MaxRunningRunsPerProject runs at once: a run
    /// over that stays queued and its job comes back in a few seconds. Claims of one project are
    /// taken one at a time (an advisory lock on PostgreSQL; SQLite has one writer anyway).
    /// </summary>
    async Task<bool> ProjectIsFullAsync(TrainDbContext db, Guid runId, DateTime staleBefore, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId).Select(r => new { r.Project, r.Status, r.Device }).FirstOrDefaultAsync(cancellationToken);
        if (run is null || run.Status != RunStatus.Queued) return false;
        if (db is PostgresTrainDbContext)
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtext({"trainservice:project:" + run.Project}))", cancellationToken);
        int most = limits.Value.MaxRunningRunsPerProject;
        int running = await db.Runs.CountAsync(r => r.Project == run.Project && r.Id != runId && r.Status == RunStatus.Running
            && r.HeartbeatAt != null && r.HeartbeatAt >= staleBefore, cancellationToken);
        if (running < most) return false;
        jobs.Schedule<TrainRunJob>(run.Device, job => job.RunAsync(runId), TimeSpan.FromSeconds(2));
        logger.LogInformation("Run {RunId} waits: project {Project} trains {Running} runs, the most it may at once.", runId, run.Project, running);
        return true;
    }

    /// <summary>
    /// Ends the attempt and, while the run is still this attempt's (had its heartbeat gone stale
    /// and another worker claimed it meanwhile, that worker has the last word), the run.
    /// </summary>
    async Task EndAsync(Guid runId, int attempt, Ending ending)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        await db.RunAttempts.Where(a => a.RunId == runId && a.Attempt == attempt && a.EndedAt == null).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.EndedAt, now)
            .SetProperty(a => a.Outcome, ending.Outcome)
            .SetProperty(a => a.FailureKind, ending.Kind)
            .SetProperty(a => a.Error, ending.Error));
        DateTime? endedAt = ending.Status == RunStatus.Queued ? null : now;
        int updated = await db.Runs.Where(r => r.Id == runId && r.Attempts == attempt && r.Status == RunStatus.Running).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, ending.Status)
            .SetProperty(r => r.Error, ending.Error)
            .SetProperty(r => r.FinishedAt, endedAt)
            .SetProperty(r => r.HeartbeatAt, endedAt));
        RunStatusEvent? changed = updated > 0 ? await RunEventLog.AppendStatusAsync(db, runId, now, CancellationToken.None) : null;
        await transaction.CommitAsync();
        if (changed is not null) signal.Committed(changed);
    }

    /// <summary>Until <paramref name="done"/>: keeps the heartbeat fresh and turns a cancel request into <paramref name="stop"/>.</summary>
    async Task WatchAsync(Guid runId, CancellationTokenSource stop, CancellationToken done)
    {
        var interval = options.Value.HeartbeatInterval;
        // Heartbeats are written a few times per StaleAfter; cancel requests are looked for every interval.
        var beatEvery = options.Value.StaleAfter / 6;
        var lastBeat = clock.GetUtcNow();
        while (!done.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, done);
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
                if (!stop.IsCancellationRequested && await db.Runs.AnyAsync(r => r.Id == runId && r.CancelRequested, done))
                    await stop.CancelAsync();
                var now = clock.GetUtcNow();
                if (now - lastBeat >= beatEvery)
                {
                    var stamp = now.UtcDateTime;
                    await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.HeartbeatAt, stamp), done);
                    lastBeat = now;
                }
            }
            catch (OperationCanceledException) when (done.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                // A database hiccup must not kill training nor stop the heartbeat for good: try again next interval.
                logger.LogWarning("Watching run {RunId} failed ({Error}); trying again.", runId, e.Message);
            }
        }
    }

    async Task UpdateAsync(Guid runId, Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<RunRecord>> set, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(set, cancellationToken);
    }
}
