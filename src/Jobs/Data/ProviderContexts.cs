using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace TrainService.Jobs.Data;

/// <summary>The database of a multi-node install: PostgreSQL, JSON columns as jsonb.</summary>
public sealed class PostgresTrainDbContext(DbContextOptions<PostgresTrainDbContext> options) : TrainDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        foreach (var property in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetProperties()))
            if (property.FindAnnotation(JsonAnnotation) is not null)
                property.SetColumnType("jsonb");
    }
}

/// <summary>The embedded default: a SQLite file in the data folder.</summary>
public sealed class SqliteTrainDbContext(DbContextOptions<SqliteTrainDbContext> options) : TrainDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    /// <summary>SQLite keeps no time zone: values read back are marked UTC, as they were written.</summary>
    public sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(v => v, v => DateTime.SpecifyKind(v, DateTimeKind.Utc));
}

/// <summary>Lets `dotnet ef` build the contexts without starting a host (design time only).</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresTrainDbContext>
{
    public PostgresTrainDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresTrainDbContext>().UseNpgsql("Host=localhost;Database=trainservice").Options);
}

public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteTrainDbContext>
{
    public SqliteTrainDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteTrainDbContext>().UseSqlite("Data Source=design.db").Options);
}
