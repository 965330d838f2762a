using System.Diagnostics;
using Npgsql;

/// <summary>A throwaway PostgreSQL from the machine's binaries (initdb as the postgres user when run as root), stopped and deleted on dispose.</summary>
sealed class LocalPostgres : IAsyncDisposable
{
    readonly string dataDir;
    readonly string binDir;
    readonly string admin;

    LocalPostgres(string dataDir, string binDir, string admin) => (this.dataDir, this.binDir, this.admin) = (dataDir, binDir, admin);

    static bool AsPostgres => Environment.UserName == "root";

    public static async Task<LocalPostgres> StartAsync()
    {
        var binDir = Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d).Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb"))) ?? throw new InvalidOperationException("No PostgreSQL binaries; pass --postgres.");
        var dataDir = Directory.CreateTempSubdirectory("trainservice-liveload-pg-").FullName;
        if (AsPostgres) await RunAsync("chown", $"postgres {dataDir}");
        await RunAsync(Path.Combine(binDir, "initdb"), $"-D {dataDir}/db -U postgres -A trust -E UTF8 --no-sync", AsPostgres);
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await RunAsync(Path.Combine(binDir, "pg_ctl"),
            $"-D {dataDir}/db -l {dataDir}/log -w -o \"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start", AsPostgres);
        return new LocalPostgres(dataDir, binDir, $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false");
    }

    public async Task<string> CreateDatabaseAsync(string name = "liveload")
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(admin) { Database = name, Pooling = true, MaxPoolSize = 200 }.ConnectionString;
    }

    static async Task RunAsync(string file, string arguments, bool asPostgres = false)
    {
        var start = asPostgres ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}") : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments}: {output}");
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir}/db -m immediate -w stop", AsPostgres);
        Directory.Delete(dataDir, recursive: true);
    }
}
