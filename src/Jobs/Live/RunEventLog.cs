using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using TrainService.Jobs.Data;

namespace TrainService.Jobs.Live;

/// <summary>
/// Appends durable events to a run's stream. Call inside the transaction that makes the change the
/// event tells of: the run's row is updated first (its counter), which holds the row's lock until
/// commit, so a run's events commit in sequence order and a relay that reads "everything above N"
/// never skips one that commits late.
/// </summary>
public static class RunEventLog
{
    /// <param name="alsoSet">More of the run's columns to set in the same statement (the epoch the event tells of).</param>
    /// <remarks>Entities added to <paramref name="db"/> before the call are saved with the event, in one batch.</remarks>
    public static async Task<T> AppendAsync<T>(TrainDbContext db, Guid runId, Func<long, T> create, DateTime now, CancellationToken cancellationToken,
        Action<UpdateSettersBuilder<RunRecord>>? alsoSet = null)
        where T : IRunEvent
    {
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(r => r.EventSequence, r => r.EventSequence + 1);
            alsoSet?.Invoke(s);
        }, cancellationToken);
        var sequence = await db.Runs.Where(r => r.Id == runId).Select(r => r.EventSequence).SingleAsync(cancellationToken);
        var runEvent = create(sequence);
        db.RunEvents.Add(RecordOf(runEvent, now));
        await db.SaveChangesAsync(cancellationToken);
        return runEvent;
    }

    /// <summary>The stored row of an event: its kind and its payload as clients receive it.</summary>
    public static RunEventRecord RecordOf(IRunEvent runEvent, DateTime now) => new()
    {
        RunId = runEvent.RunId,
        Sequence = runEvent.Sequence,
        Kind = RunEventJson.KindOf(runEvent),
        Payload = RunEventJson.Serialize(runEvent),
        CreatedAt = now,
    };

    /// <summary>A RunStatus event from the run's row as it now stands (read inside the same transaction).</summary>
    public static async Task<RunStatusEvent> AppendStatusAsync(TrainDbContext db, Guid runId, DateTime now, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == runId)
            .Select(r => new { r.Status, r.Epoch, r.Epochs, r.Error }).SingleAsync(cancellationToken);
        return await AppendAsync(db, runId, sequence => new RunStatusEvent(runId, sequence, run.Status.Name(), run.Epoch, run.Epochs, run.Error, now),
            now, cancellationToken);
    }

    /// <summary>The run's durable events above <paramref name="after"/>, up to <paramref name="upTo"/>, in order.</summary>
    public static async Task<List<IRunEvent>> ReadAsync(TrainDbContext db, Guid runId, long after, long upTo, CancellationToken cancellationToken)
    {
        var rows = await db.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && e.Sequence > after && e.Sequence <= upTo)
            .OrderBy(e => e.Sequence)
            .Select(e => new { e.Kind, e.Payload })
            .ToListAsync(cancellationToken);
        return rows.Select(r => RunEventJson.Deserialize(r.Kind, r.Payload)).ToList();
    }
}
