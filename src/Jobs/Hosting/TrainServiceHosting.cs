using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using TrainService.Jobs.Data;
using TrainService.Jobs.Live;
using TrainService.Jobs.Runs;
using TrainService.Jobs.Storage;

namespace TrainService.Jobs.Hosting;

public static class TrainServiceHosting
{
    /// <summary>
    /// What the API and every worker node share: options, the database (PostgreSQL when
    /// ConnectionStrings:Postgres is set, else a SQLite file in the data folder), the blob store,
    /// and Hangfire's storage (PostgreSQL, or in memory on the embedded default) and client.
    /// </summary>
    public static IHostApplicationBuilder AddTrainServiceCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WorkerOptions>().BindConfiguration(WorkerOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.StaleAfter > o.HeartbeatInterval * 4, "TrainService:Worker:StaleAfter must be well above HeartbeatInterval.")
            .ValidateOnStart();
        services.AddOptions<DeviceOptions>().BindConfiguration(DeviceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<BlobStore>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<DatabaseRetry>();

        // The provider is chosen once, from configuration as it is at start.
        var database = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        if (database.UsePostgres)
            services.AddDbContext<TrainDbContext, PostgresTrainDbContext>(o => o.UseNpgsql(database.Postgres));
        else
            services.AddDbContext<TrainDbContext, SqliteTrainDbContext>((provider, o) =>
                o.UseSqlite($"Data Source={Path.Combine(provider.GetRequiredService<BlobStore>().Root, "trainservice.db")}"));
        services.AddHostedService<DatabaseMigrator>();

        // The live stream's signal: PostgreSQL NOTIFY reaches every API instance; the embedded default has one process.
        if (database.UsePostgres)
        {
            services.AddSingleton(_ => NpgsqlDataSource.Create(database.Postgres!));
            services.AddSingleton<PostgresRunEventSignal>();
            services.AddSingleton<IRunEventSignal>(provider => provider.GetRequiredService<PostgresRunEventSignal>());
        }
        else
        {
            services.AddSingleton<InProcessRunEventSignal>();
            services.AddSingleton<IRunEventSignal>(provider => provider.GetRequiredService<InProcessRunEventSignal>());
        }

        // Our own JobStorage and JobActivator rather than Hangfire's statics (JobStorage.Current,
        // JobActivator.Current, which AddHangfire would register): with several hosts in one
        // process (the tests), a host could otherwise create its jobs from another host's services.
        services.AddSingleton<JobStorage>(provider =>
        {
            // Storage constructors log: Hangfire's global log provider must be ours first.
            provider.GetRequiredService<IGlobalConfiguration>();
            if (!database.UsePostgres) return new InMemoryStorage();
            var worker = provider.GetRequiredService<IOptions<WorkerOptions>>().Value;
            var options = new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                QueuePollInterval = worker.QueuePollInterval,
                InvisibilityTimeout = worker.InvisibilityTimeout,
                UseSlidingInvisibilityTimeout = worker.SlidingInvisibilityTimeout,
                PrepareSchemaIfNecessary = true,
            };
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(database.Postgres, options), options);
        });
        services.AddSingleton<JobActivator>(provider => new AspNetCoreJobActivator(provider.GetRequiredService<IServiceScopeFactory>()));
        services.AddHangfire((provider, configuration) => configuration
            .UseLogProvider(new HostLogProvider(provider.GetRequiredService<ILoggerFactory>()))
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings());
        services.AddSingleton<RunQueue>();
        services.AddHostedService<RunRecovery>();
        return builder;
    }

    /// <summary>
    /// A Hangfire server that trains runs from this node's device queue, as many at once as it has
    /// GPUs (one on CPU) unless TrainService:Worker:Concurrency says otherwise. Nothing when
    /// TrainService:Worker:Enabled is false.
    /// </summary>
    public static IHostApplicationBuilder AddTrainWorker(this IHostApplicationBuilder builder)
    {
        var worker = builder.Configuration.GetSection(WorkerOptions.Section).Get<WorkerOptions>() ?? new WorkerOptions();
        if (!worker.Enabled) return builder;
        builder.Services.AddScoped<TrainRunJob>();
        builder.Services.AddSingleton<RunTrainer>();
        builder.Services.AddSingleton<WorkerNode>();
        builder.Services.AddHangfireServer((provider, server) =>
        {
            var node = provider.GetRequiredService<WorkerNode>();
            server.ServerName = node.Name;
            server.Queues = [node.Device];
            server.WorkerCount = node.Concurrency;
            server.SchedulePollingInterval = TimeSpan.FromSeconds(1);
        });
        // Hangfire waits this long for running jobs to stop at shutdown; the host must wait as long.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        return builder;
    }
}
