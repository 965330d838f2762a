using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainService.Jobs.Hosting;

namespace TrainService.Jobs.Runs;

/// <summary>
/// Retries a run's database writes while the database is briefly away (a PostgreSQL restart or
/// failover), so that the run carries on instead of failing: with backoff, for up to
/// TrainService:Worker:DatabaseRetryFor. Each action must be safe to repeat (one transaction, or
/// checking what a lost commit may already have done).
/// </summary>
public sealed class DatabaseRetry(IOptions<WorkerOptions> options, TimeProvider clock, ILogger<DatabaseRetry> logger)
{
    public async Task<T> RunAsync<T>(string what, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + options.Value.DatabaseRetryFor;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception e) when (Failures.IsTransient(e) && clock.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Could not {What} ({Error}); trying again in {Delay} ms.", what, e.Message, delay.TotalMilliseconds);
                // Connections pooled before a server restart are all dead: drop them rather than fail on each in turn.
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(delay, clock, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public Task RunAsync(string what, Func<Task> action, CancellationToken cancellationToken) =>
        RunAsync(what, async () => { await action(); return true; }, cancellationToken);

    /// <summary>For the training thread (a dedicated thread with no synchronization context: blocking is safe).</summary>
    public void Run(string what, Func<Task> action) => RunAsync(what, action, CancellationToken.None).GetAwaiter().GetResult();
}
