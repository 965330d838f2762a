using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Access;

/// <summary>
/// `dotnet run --project src/Api -- keys create --name NAME (--project PROJECT | --admin)`: makes a
/// key on the configured database without starting the service (the first admin key of a fresh
/// install), prints it once, and exits. `keys list` and `keys revoke ID` do the rest.
/// </summary>
public static class KeysCommand
{
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] == "keys";

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        string? Option(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        await new DatabaseMigrator(app.Services.GetRequiredService<IServiceScopeFactory>()).StartAsync(CancellationToken.None);
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        switch (args.ElementAtOrDefault(1))
        {
            case "create":
                bool admin = args.Contains("--admin");
                var project = Option("--project");
                var name = Option("--name");
                if (name is null || (admin ? project is not null : !ApiKeys.IsValidProject(project)))
                {
                    Console.Error.WriteLine("usage: keys create --name NAME (--project PROJECT | --admin); a project is letters, digits, '-', '_', '.'");
                    return 2;
                }
                var (record, key) = await ApiKeys.CreateAsync(db, name, admin ? null : project, DateTime.UtcNow, CancellationToken.None);
                Console.WriteLine($"Created {(admin ? "an admin key" : $"a key of project {project}")} '{name}' ({record.Id}). It is shown this once:");
                Console.WriteLine(key);
                return 0;
            case "list":
                foreach (var k in db.ApiKeys.OrderBy(k => k.CreatedAt))
                    Console.WriteLine($"{k.Id}  {k.Prefix}…  {k.Project ?? "(admin)"}  {k.Name}  {(k.RevokedAt is null ? "active" : $"revoked {k.RevokedAt:u}")}");
                return 0;
            case "revoke" when Guid.TryParse(args.ElementAtOrDefault(2), out var id):
                var revoked = db.ApiKeys.FirstOrDefault(k => k.Id == id);
                if (revoked is null)
                {
                    Console.Error.WriteLine($"No API key {id}.");
                    return 1;
                }
                revoked.RevokedAt ??= DateTime.UtcNow;
                await db.SaveChangesAsync();
                Console.WriteLine($"Revoked {id}.");
                return 0;
            default:
                Console.Error.WriteLine("usage: keys create --name NAME (--project PROJECT | --admin) | keys list | keys revoke ID");
                return 2;
        }
    }
}
