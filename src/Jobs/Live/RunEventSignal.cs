using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TrainService.Jobs.Live;

/// <summary>
/// Tells every API instance that a run's stream moved on: after a durable event commits (the relay
/// then reads it from the database) and for batch progress, which is sent whole and never stored.
/// Best effort: a signal lost to a dropped connection is made up for by the relay's periodic
/// catch-up, and a lost progress note by the next one.
/// </summary>
public interface IRunEventSignal
{
    void Committed(IRunEvent runEvent);

    void Progress(BatchProgressEvent progress);
}

/// <summary>
/// A signal as it travels: the event's run and sequence, and the event itself when it is small
/// enough for a NOTIFY payload (PostgreSQL's limit is 8000 bytes), which spares the relay a read.
/// Batch progress always travels whole.
/// </summary>
public sealed record RunSignal(Guid RunId, long Sequence, string Kind, string? Payload)
{
    const int MaxPayloadChars = 7000;

    public static RunSignal Of(IRunEvent runEvent)
    {
        var payload = RunEventJson.Serialize(runEvent);
        return new RunSignal(runEvent.RunId, runEvent.Sequence, RunEventJson.KindOf(runEvent), payload.Length <= MaxPayloadChars ? payload : null);
    }

    public IRunEvent? Event => Payload is null ? null : RunEventJson.Deserialize(Kind, Payload);

    /// <summary>
    /// A queue of signals for one reader. Bounded, dropping the oldest when full: a signal only says
    /// that a stream moved on, and the relay's catch-up reads what a dropped one would have said.
    /// </summary>
    public static Channel<RunSignal> Queue() =>
        System.Threading.Channels.Channel.CreateBounded<RunSignal>(
            new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    public string Serialize() => JsonSerializer.Serialize(this, RunEventJson.Options);

    public static RunSignal? Parse(string payload)
    {
        try
        {
            return JsonSerializer.Deserialize<RunSignal>(payload, RunEventJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>The embedded default's single process: a channel the API's relay reads.</summary>
public sealed class InProcessRunEventSignal : IRunEventSignal
{
    readonly Channel<RunSignal> channel = RunSignal.Queue();

    public ChannelReader<RunSignal> Reader => channel.Reader;

    public void Committed(IRunEvent runEvent) => channel.Writer.TryWrite(RunSignal.Of(runEvent));

    public void Progress(BatchProgressEvent progress) => channel.Writer.TryWrite(RunSignal.Of(progress));
}

/// <summary>Several processes on one PostgreSQL: NOTIFY on <see cref="Channel"/>, which every API instance LISTENs to.</summary>
public sealed class PostgresRunEventSignal(NpgsqlDataSource dataSource, ILogger<PostgresRunEventSignal> logger) : IRunEventSignal, IAsyncDisposable
{
    public const string Channel = "trainservice_run_events";

    // One sender in order, off the training thread: a notify never slows training down.
    readonly Channel<RunSignal> outbox = RunSignal.Queue();
    Task? sender;

    public void Committed(IRunEvent runEvent) => Send(RunSignal.Of(runEvent));

    public void Progress(BatchProgressEvent progress) => Send(RunSignal.Of(progress));

    void Send(RunSignal signal)
    {
        outbox.Writer.TryWrite(signal);
        lock (outbox) sender ??= Task.Run(SendAllAsync);
    }

    async Task SendAllAsync()
    {
        await foreach (var signal in outbox.Reader.ReadAllAsync())
        {
            try
            {
                await using var command = dataSource.CreateCommand("SELECT pg_notify(@channel, @payload)");
                command.Parameters.AddWithValue("channel", Channel);
                command.Parameters.AddWithValue("payload", signal.Serialize());
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                logger.LogDebug(e, "Could not signal run {RunId}'s event {Sequence}; relays catch up on their own.", signal.RunId, signal.Sequence);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        outbox.Writer.TryComplete();
        if (sender is not null) await sender.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { });
    }
}
