using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Jobs.Data;
using TrainService.Jobs.Live;
using TrainService.Jobs.Storage;
using TrainService.Jobs.Telemetry;

namespace TrainService.Jobs.Runs;

/// <summary>
/// Writes a run's progress as it trains (on the training thread). At the end of every epoch: a
/// checkpoint blob, TensorBoard scalars, and, in one transaction, the epoch's logs, the checkpoint's
/// row, the run's epoch and latest metrics and the EpochEnd event; then the relays are signalled.
/// Only the newest checkpoint is kept. Batch progress goes out at most ten times a second, never
/// stored; a loss that is not finite stops training (the run fails as a numerics failure).
/// </summary>
public sealed class RunRecorder(
    Guid runId, KerasModel model, long sequence, string node, string device, IServiceScopeFactory scopes, BlobStore blobs, IRunEventSignal signal,
    DatabaseRetry retry, TimeProvider clock) : ITrainingObserver
{
    static readonly TimeSpan ProgressEvery = TimeSpan.FromMilliseconds(100);

    readonly TensorBoardLog tensorBoard = new(TensorBoardLog.DirectoryOf(blobs, runId));
    long lastSequence = sequence;
    DateTimeOffset lastProgress = DateTimeOffset.MinValue;
    long samples;

    public void TrainingStarted(TrainingStarted started) => samples = started.Samples;

    public void BatchProgress(BatchProgress progress)
    {
        if (!double.IsFinite(progress.Loss)) throw new NonFiniteLossException(progress.Epoch + 1, progress.Batch, progress.Loss);
        var now = clock.GetUtcNow();
        if (now - lastProgress < ProgressEvery) return;
        lastProgress = now;
        signal.Progress(new BatchProgressEvent(runId, lastSequence, progress.Epoch + 1, progress.Batch, progress.Batches, progress.Loss, now.UtcDateTime));
    }

    public void EpochEnded(EpochResult result)
    {
        int epoch = result.Epoch + 1;
        var now = clock.GetUtcNow().UtcDateTime;
        var logs = JsonSerializer.Serialize(result.Logs, RunEventJson.Options);
        string sha256;
        long size;
        using (var temp = blobs.CreateTemp())
        {
            model.SaveCheckpoint(temp.Path);
            (sha256, size) = temp.CommitAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        tensorBoard.Write(result);
        TrainingTelemetry.EpochEnded(node, device, result.Duration, samples);
        System.Diagnostics.Activity.Current?.AddEvent(new("epoch", tags: new() { ["epoch"] = epoch, ["loss"] = result.Logs.GetValueOrDefault("loss") }));

        EpochEndEvent? recorded = null;
        List<CheckpointRecord> older = [];
        retry.Run($"record epoch {epoch}", async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
            // A commit whose answer was lost to a dropped connection did happen: do not record the epoch twice.
            if (await db.Runs.AnyAsync(r => r.Id == runId && r.Epoch >= epoch)) return;
            await using var transaction = await db.Database.BeginTransactionAsync();
            // Rows of this epoch cannot exist yet: they commit together with the run's epoch, checked above.
            older = await db.Checkpoints.Where(c => c.RunId == runId).ToListAsync();
            db.Checkpoints.RemoveRange(older);
            db.Checkpoints.Add(new CheckpointRecord { RunId = runId, Epoch = epoch, Sha256 = sha256, SizeBytes = size, CreatedAt = now });
            db.EpochMetrics.Add(new EpochMetricRecord { RunId = runId, Epoch = epoch, Metrics = logs, RecordedAt = now });
            recorded = await RunEventLog.AppendAsync(db, runId,
                next => new EpochEndEvent(runId, next, epoch, result.Epochs, result.Logs, HeadsOf(result), now), now, CancellationToken.None,
                s => s.SetProperty(r => r.Epoch, epoch).SetProperty(r => r.LatestMetrics, logs));
            await transaction.CommitAsync();
        });
        if (recorded is null) return;
        lastSequence = recorded.Sequence;
        signal.Committed(recorded);

        retry.Run("delete older checkpoints", async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
            foreach (var stale in older.Where(o => o.Sha256 != sha256))
                if (!await db.Checkpoints.AnyAsync(c => c.Sha256 == stale.Sha256)) blobs.Delete(stale.Sha256);
        });
    }

    /// <summary>Each output's values under the names the client wrote, validation ones prefixed val_ as Keras does.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> HeadsOf(EpochResult result) =>
        result.Heads.ToDictionary(
            h => h.Output,
            h => (IReadOnlyDictionary<string, double>)h.Training.Concat(h.Validation.Select(v => KeyValuePair.Create("val_" + v.Key, v.Value)))
                .ToDictionary(p => p.Key, p => p.Value));
}
