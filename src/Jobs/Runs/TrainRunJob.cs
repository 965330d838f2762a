using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TrainService.Engine.Graph;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Jobs.Runs;

/// <summary>
/// The Hangfire job that trains one run. It receives only the run's id and re-reads the run, so
/// that it is safe to deliver twice: it trains only after claiming the run in the database (queued,
/// or running on a worker whose heartbeat went stale), and a delivery that finds the run live
/// elsewhere or finished does nothing. While it trains it keeps the run's heartbeat fresh and
/// watches for a cancel request, which stops training within one batch.
/// Training stops for a cancel request or for this host shutting down, not for Hangfire's job
/// token: Hangfire also fires that token when the job's state changes under it, which is what a
/// second delivery that finds the run taken does (it completes the job), and that must not stop
/// the delivery that trains.
/// </summary>
[AutomaticRetry(Attempts = 0)]
public sealed class TrainRunJob(
    IServiceScopeFactory scopes, RunTrainer trainer, WorkerNode node, IOptions<WorkerOptions> options, IHostApplicationLifetime lifetime,
    TimeProvider clock, ILogger<TrainRunJob> logger)
{
    public async Task RunAsync(Guid runId)
    {
        var stopping = lifetime.ApplicationStopping;
        await UpdateAsync(runId, s => s.SetProperty(r => r.Deliveries, r => r.Deliveries + 1), CancellationToken.None);
        if (await ClaimAsync(runId, stopping) is not { } attempt)
        {
            logger.LogInformation("Run {RunId} is finished, canceled or live on another worker; this delivery does nothing.", runId);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var watching = new CancellationTokenSource();
        var watch = WatchAsync(runId, stop, watching.Token);
        RunStatus outcome;
        string? error = null;
        try
        {
            // Training holds a thread for as long as it runs: a dedicated one, not the pool's.
            await Task.Factory.StartNew(() => trainer.Train(runId, stop.Token), CancellationToken.None,
                TaskCreationOptions.LongRunning, TaskScheduler.Default);
            outcome = RunStatus.Succeeded;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The worker is shutting down: release the run so that the next delivery claims it at once.
            await UpdateAsync(runId, s => s.SetProperty(r => r.HeartbeatAt, (DateTime?)null), CancellationToken.None);
            throw;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            outcome = RunStatus.Canceled;
        }
        catch (Exception e)
        {
            outcome = RunStatus.Failed;
            error = e is GraphValidationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            logger.LogWarning(e, "Run {RunId} failed.", runId);
        }
        finally
        {
            await watching.CancelAsync();
            await watch;
        }
        var now = clock.GetUtcNow().UtcDateTime;
        // Only while the run is still this delivery's: had its heartbeat gone stale and another
        // worker claimed it meanwhile, that worker has the last word.
        await UpdateAsync(runId, s => s
            .SetProperty(r => r.Status, outcome)
            .SetProperty(r => r.Error, error)
            .SetProperty(r => r.FinishedAt, now)
            .SetProperty(r => r.HeartbeatAt, now), CancellationToken.None, attempt);
    }

    /// <summary>Claims the run for this delivery: its attempt number, or null when the run is not to be trained here.</summary>
    async Task<int?> ClaimAsync(Guid runId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var staleBefore = now - options.Value.StaleAfter;
        var nodeName = node.Name;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
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
        return await db.Runs.Where(r => r.Id == runId).Select(r => r.Attempts).SingleAsync(cancellationToken);
    }

    /// <summary>Until <paramref name="done"/>: keeps the heartbeat fresh and turns a cancel request into <paramref name="stop"/>.</summary>
    async Task WatchAsync(Guid runId, CancellationTokenSource stop, CancellationToken done)
    {
        var interval = options.Value.HeartbeatInterval;
        // Heartbeats are written a few times per StaleAfter; cancel requests are looked for every interval.
        var beatEvery = options.Value.StaleAfter / 6;
        var lastBeat = clock.GetUtcNow();
        try
        {
            while (!done.IsCancellationRequested)
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
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A database hiccup must not kill training; the next delivery's claim sorts out a stale heartbeat.
            logger.LogWarning(e, "Watching run {RunId} failed.", runId);
        }
    }

    /// <summary>Updates the run; with <paramref name="attempt"/>, only while that claim is the latest.</summary>
    async Task UpdateAsync(Guid runId, Action<UpdateSettersBuilder<RunRecord>> set, CancellationToken cancellationToken, int? attempt = null)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        await db.Runs.Where(r => r.Id == runId && (attempt == null || r.Attempts == attempt)).ExecuteUpdateAsync(set, cancellationToken);
    }
}
