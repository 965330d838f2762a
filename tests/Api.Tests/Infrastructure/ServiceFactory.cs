using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// The API in-process with its own data folder, on PostgreSQL when given a connection string and
/// on the embedded default (SQLite + in-memory Hangfire + in-process worker) otherwise.
/// </summary>
/// <param name="dataDir">A data folder to start on (another service's, kept for a restart); a new one by default. Deleted on dispose either way.</param>
/// <param name="logging">A log sink to add (a test that reads what the service logs).</param>
public sealed class ServiceFactory(string? postgres = null, IReadOnlyDictionary<string, string?>? settings = null, string? dataDir = null,
    ILoggerProvider? logging = null) : WebApplicationFactory<Program>
{
    public string DataDir { get; } = dataDir ?? Directory.CreateTempSubdirectory("trainservice-test-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("TrainService:DataDir", DataDir);
        builder.UseSetting("ConnectionStrings:Postgres", postgres ?? "");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
        if (logging is not null) builder.ConfigureLogging(l => l.AddProvider(logging));
    }

    bool keepDataDir;

    /// <summary>Leaves the data folder in place on dispose, for another service to start on (a restart).</summary>
    public void KeepDataDir() => keepDataDir = true;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (keepDataDir) return;
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a stopping worker; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>Files under the data folder other than the SQLite database: what requests leave behind.</summary>
    public IReadOnlyList<string> StoredFiles() =>
        Directory.EnumerateFiles(DataDir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).StartsWith("trainservice.db", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(DataDir, f))
            .ToList();
}
