using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace TrainService.Jobs.Data;

/// <summary>
/// The service's database. Migrations are provider-specific, so each provider has a derived
/// context with its own migrations folder:
/// <code>
/// dotnet ef migrations add NAME --project src/Jobs --context PostgresTrainDbContext --output-dir Data/Migrations/Postgres
/// dotnet ef migrations add NAME --project src/Jobs --context SqliteTrainDbContext --output-dir Data/Migrations/Sqlite
/// </code>
/// </summary>
public abstract class TrainDbContext(DbContextOptions options) : DbContext(options)
{
    /// <summary>Marks string properties that hold JSON (jsonb on PostgreSQL, TEXT on SQLite).</summary>
    protected const string JsonAnnotation = "TrainService:Json";

    public DbSet<GraphRecord> Graphs => Set<GraphRecord>();

    public DbSet<DatasetRecord> Datasets => Set<DatasetRecord>();

    public DbSet<RunRecord> Runs => Set<RunRecord>();

    public DbSet<EpochMetricRecord> EpochMetrics => Set<EpochMetricRecord>();

    public DbSet<CheckpointRecord> Checkpoints => Set<CheckpointRecord>();

    public DbSet<RunEventRecord> RunEvents => Set<RunEventRecord>();

    public DbSet<RunAttemptRecord> RunAttempts => Set<RunAttemptRecord>();

    public DbSet<ApiKeyRecord> ApiKeys => Set<ApiKeyRecord>();

    /// <summary>
    /// The project this context works for: graphs, datasets and runs of other projects are filtered
    /// out of every query (and update), and new ones are stamped with it. Null (workers, admin keys,
    /// an open install): every project, new records in the default one.
    /// </summary>
    public string? Project { get; set; }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        StampProject();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        StampProject();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    /// <summary>New records go to this context's project; with none, they keep the default one they were made with.</summary>
    void StampProject()
    {
        if (Project is null) return;
        foreach (var entry in ChangeTracker.Entries<IProjectOwned>().Where(e => e.State == EntityState.Added))
            entry.Entity.Project = Project;
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<GraphRecord>(graph =>
        {
            graph.ToTable("graphs");
            graph.Property(g => g.Project).HasMaxLength(64).HasDefaultValue(Projects.Default);
            graph.HasIndex(g => g.Project);
            graph.HasQueryFilter(g => Project == null || g.Project == Project);
            graph.Property(g => g.Name).HasMaxLength(128);
            Json(graph.Property(g => g.Spec));
            graph.HasIndex(g => g.CreatedAt);
        });

        modelBuilder.Entity<DatasetRecord>(dataset =>
        {
            dataset.ToTable("datasets");
            dataset.Property(d => d.Project).HasMaxLength(64).HasDefaultValue(Projects.Default);
            dataset.HasIndex(d => d.Project);
            dataset.HasQueryFilter(d => Project == null || d.Project == Project);
            dataset.Property(d => d.Name).HasMaxLength(256);
            dataset.Property(d => d.FileName).HasMaxLength(256);
            dataset.Property(d => d.Format).HasMaxLength(8);
            dataset.Property(d => d.Sha256).HasMaxLength(64);
            Json(dataset.Property(d => d.Arrays));
            dataset.HasIndex(d => d.Sha256);
            dataset.HasIndex(d => d.CreatedAt);
        });

        modelBuilder.Entity<RunRecord>(run =>
        {
            run.ToTable("runs");
            run.Property(r => r.Project).HasMaxLength(64).HasDefaultValue(Projects.Default);
            run.HasIndex(r => new { r.Project, r.Status });
            run.HasQueryFilter(r => Project == null || r.Project == Project);
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.Property(r => r.Device).HasMaxLength(16);
            run.Property(r => r.Node).HasMaxLength(256);
            run.Property(r => r.JobId).HasMaxLength(64);
            Json(run.Property(r => r.Config));
            Json(run.Property(r => r.LatestMetrics));
            Json(run.Property(r => r.MemoryEstimate));
            // A dataset may be deleted once no active run uses it (the API answers 409 before);
            // finished runs keep their record and lose the link.
            run.HasOne(r => r.Graph).WithMany().HasForeignKey(r => r.GraphId).OnDelete(DeleteBehavior.Restrict);
            run.HasOne(r => r.Dataset).WithMany().HasForeignKey(r => r.DatasetId).OnDelete(DeleteBehavior.SetNull);
            run.HasIndex(r => new { r.Status, r.CreatedAt });
            run.HasIndex(r => r.CreatedAt);
        });

        modelBuilder.Entity<EpochMetricRecord>(metric =>
        {
            metric.ToTable("epoch_metrics");
            metric.HasKey(m => new { m.RunId, m.Epoch });
            Json(metric.Property(m => m.Metrics));
            metric.HasOne<RunRecord>().WithMany().HasForeignKey(m => m.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CheckpointRecord>(checkpoint =>
        {
            checkpoint.ToTable("checkpoints");
            checkpoint.HasKey(c => new { c.RunId, c.Epoch });
            checkpoint.Property(c => c.Sha256).HasMaxLength(64);
            checkpoint.HasIndex(c => c.Sha256);
            checkpoint.HasOne<RunRecord>().WithMany().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ApiKeyRecord>(key =>
        {
            key.ToTable("api_keys");
            key.Property(k => k.Name).HasMaxLength(128);
            key.Property(k => k.Project).HasMaxLength(64);
            key.Property(k => k.Prefix).HasMaxLength(16);
            key.Property(k => k.Hash).HasMaxLength(64);
            key.HasIndex(k => k.Hash).IsUnique();
        });

        modelBuilder.Entity<RunEventRecord>(runEvent =>
        {
            runEvent.ToTable("run_events");
            runEvent.HasKey(e => new { e.RunId, e.Sequence });
            runEvent.Property(e => e.Kind).HasMaxLength(32);
            Json(runEvent.Property(e => e.Payload));
            runEvent.HasOne<RunRecord>().WithMany().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<RunAttemptRecord>(attempt =>
        {
            attempt.ToTable("run_attempts");
            attempt.HasKey(a => new { a.RunId, a.Attempt });
            attempt.Property(a => a.Node).HasMaxLength(256);
            attempt.Property(a => a.Device).HasMaxLength(16);
            attempt.Property(a => a.Outcome).HasMaxLength(16);
            attempt.Property(a => a.FailureKind).HasMaxLength(16);
            attempt.HasOne<RunRecord>().WithMany().HasForeignKey(a => a.RunId).OnDelete(DeleteBehavior.Cascade);
        });
    }

    static void Json(PropertyBuilder property) => property.HasAnnotation(JsonAnnotation, true);
}
