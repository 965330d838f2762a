using System.Diagnostics;
using Npgsql;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for the test run: the server named by TRAINSERVICE_TEST_POSTGRES (a
/// connection string to a database whose user may create databases), or one started here from
/// the local PostgreSQL binaries in a temporary folder on a free port, stopped at the end. Each
/// test class gets a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    string? dataDir;
    string? binDir;
    string adminConnectionString = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("TRAINSERVICE_TEST_POSTGRES") is { Length: > 0 } given)
        {
            adminConnectionString = given;
            return;
        }
        binDir = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL: set TRAINSERVICE_TEST_POSTGRES or install the server (apt-get install postgresql; .ci/run does).");
        dataDir = Directory.CreateTempSubdirectory("trainservice-pg-").FullName;
        var asPostgres = Environment.UserName == "root";
        if (asPostgres) await Run("chown", $"postgres {dataDir}");
        await Run(Path.Combine(binDir, "initdb"), $"-D {dataDir}/db -U postgres -A trust -E UTF8 --no-sync", asPostgres);
        int port = TestData.FreePort();
        await Run(Path.Combine(binDir, "pg_ctl"),
            $"-D {dataDir}/db -l {dataDir}/log -w -t 60 -o \"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300\" start",
            asPostgres);
        adminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    public async Task DisposeAsync()
    {
        if (dataDir is null || binDir is null) return;
        await Run(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir}/db -m immediate -w stop", Environment.UserName == "root");
        Directory.Delete(dataDir, recursive: true);
    }

    /// <summary>Restarts the server (fast shutdown: every connection is cut), as an operator's restart or a failover does.</summary>
    public async Task RestartAsync()
    {
        if (dataDir is null || binDir is null) throw new InvalidOperationException("Only a server this test run started can be restarted.");
        await Run(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir}/db -l {dataDir}/log -m fast -w -t 60 restart", Environment.UserName == "root");
    }

    /// <summary>A new, empty database; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    static string? FindBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;

    /// <summary>Runs a command, as the postgres user when asked (initdb refuses root).</summary>
    static async Task Run(string file, string arguments, bool asPostgres = false)
    {
        var start = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {await output}{await error}");
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
