using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Jobs.Data;
using TrainService.Jobs.Storage;

namespace TrainService.Jobs.Runs;

/// <summary>
/// Writes a run's progress as it trains (on the training thread): at the end of every epoch, a
/// checkpoint blob and, in one transaction, the epoch's logs, the checkpoint's row and the run's
/// epoch and latest metrics. Only the newest checkpoint is kept.
/// </summary>
public sealed class RunRecorder(Guid runId, KerasModel model, IServiceScopeFactory scopes, BlobStore blobs, TimeProvider clock) : ITrainingObserver
{
    /// <summary>Non-finite values (a diverged loss) are written as "NaN", "Infinity", as Keras's JSON logs do.</summary>
    public static readonly JsonSerializerOptions LogJson = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void EpochEnded(EpochResult result)
    {
        int epoch = result.Epoch + 1;
        var now = clock.GetUtcNow().UtcDateTime;
        var logs = JsonSerializer.Serialize(result.Logs, LogJson);
        string sha256;
        long size;
        using (var temp = blobs.CreateTemp())
        {
            model.SaveCheckpoint(temp.Path);
            (sha256, size) = temp.CommitAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
        using var transaction = db.Database.BeginTransaction();
        var older = db.Checkpoints.Where(c => c.RunId == runId && c.Epoch != epoch).ToList();
        db.Checkpoints.RemoveRange(older);
        db.Checkpoints.Where(c => c.RunId == runId && c.Epoch == epoch).ExecuteDelete();
        db.EpochMetrics.Where(m => m.RunId == runId && m.Epoch == epoch).ExecuteDelete();
        db.Checkpoints.Add(new CheckpointRecord { RunId = runId, Epoch = epoch, Sha256 = sha256, SizeBytes = size, CreatedAt = now });
        db.EpochMetrics.Add(new EpochMetricRecord { RunId = runId, Epoch = epoch, Metrics = logs, RecordedAt = now });
        db.SaveChanges();
        db.Runs.Where(r => r.Id == runId).ExecuteUpdate(s => s.SetProperty(r => r.Epoch, epoch).SetProperty(r => r.LatestMetrics, logs));
        transaction.Commit();
        foreach (var stale in older.Where(o => o.Sha256 != sha256))
            if (!db.Checkpoints.Any(c => c.Sha256 == stale.Sha256)) blobs.Delete(stale.Sha256);
    }
}
