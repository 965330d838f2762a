using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TrainService.Jobs.Data;

namespace TrainService.Jobs.Hosting;

/// <summary>
/// Applies the provider's migrations before anything else starts. Every node may do it: EF Core
/// takes a lock on the database so that concurrent starts apply each migration once.
/// </summary>
public sealed class DatabaseMigrator(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        // The API and the in-process worker write at once: WAL lets readers go on meanwhile.
        if (db is SqliteTrainDbContext)
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
