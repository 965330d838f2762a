using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Jobs.Runs;

/// <summary>
/// Runs are the source of truth, not the queue: at start, every run left queued, or running on a
/// worker that has gone silent, is queued again (the embedded default's in-memory queue is empty
/// after a restart). A job that finds its run already claimed by a live worker does nothing, so a
/// run queued twice is still trained once.
/// </summary>
public sealed class RunRecovery(
    IServiceScopeFactory scopes, RunQueue queue, IOptions<DatabaseOptions> database, IOptions<WorkerOptions> worker,
    TimeProvider clock, ILogger<RunRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        // On the embedded default this process is the only worker: what it left running died with it.
        if (!database.Value.UsePostgres)
            await db.Runs.Where(r => r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.HeartbeatAt, (DateTime?)null), cancellationToken);
        var staleBefore = clock.GetUtcNow().UtcDateTime - worker.Value.StaleAfter;
        var runs = await db.Runs
            .Where(r => r.Status == RunStatus.Queued || (r.Status == RunStatus.Running && (r.HeartbeatAt == null || r.HeartbeatAt < staleBefore)))
            .Select(r => new { r.Id, r.Device })
            .ToListAsync(cancellationToken);
        foreach (var run in runs)
            await queue.EnqueueAsync(db, run.Id, run.Device, cancellationToken);
        if (runs.Count > 0) logger.LogInformation("Queued {Count} unfinished runs again.", runs.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
