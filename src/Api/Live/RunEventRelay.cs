using System.Threading.Channels;
using Npgsql;
using TrainService.Jobs.Live;

namespace TrainService.Api.Live;

/// <summary>
/// Follows the workers' signals and hands them to <see cref="RunStreams"/>: PostgreSQL LISTEN when
/// several processes share a database (every API instance listens, so each relays to its own
/// subscribers), the in-process channel on the embedded default. A catch-up from the database every
/// second makes up for any signal lost while the listening connection was down.
/// </summary>
public sealed class RunEventRelay(IServiceProvider services, RunStreams streams, ILogger<RunEventRelay> logger) : BackgroundService
{
    static readonly TimeSpan CatchUpEvery = TimeSpan.FromSeconds(1);

    readonly Channel<RunSignal> signals = RunSignal.Queue();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var follow = services.GetRequiredService<IRunEventSignal>() switch
        {
            InProcessRunEventSignal inProcess => ForwardAsync(inProcess.Reader, stoppingToken),
            _ => ListenAsync(services.GetRequiredService<NpgsqlDataSource>(), stoppingToken),
        };
        return Task.WhenAll(follow, DispatchAsync(stoppingToken), CatchUpAsync(stoppingToken));
    }

    async Task ForwardAsync(ChannelReader<RunSignal> reader, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var signal in reader.ReadAllAsync(stoppingToken)) signals.Writer.TryWrite(signal);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task ListenAsync(NpgsqlDataSource dataSource, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (RunSignal.Parse(e.Payload) is { } signal) signals.Writer.TryWrite(signal);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresRunEventSignal.Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                logger.LogInformation("Listening for run events on PostgreSQL.");
                // What happened while not listening.
                await streams.CatchUpAllAsync(stoppingToken);
                while (true) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning("Listening for run events failed ({Error}); listening again in a second.", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { });
            }
        }
    }

    async Task DispatchAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var signal in signals.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    var carried = signal.Event;
                    if (carried is BatchProgressEvent progress) await streams.ProgressAsync(progress, stoppingToken);
                    else if (signal.Kind != RunEventKinds.BatchProgress) await streams.CommittedAsync(signal.RunId, signal.Sequence, carried, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Relaying run {RunId}'s event {Sequence} failed ({Error}); the catch-up retries.", signal.RunId, signal.Sequence, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    async Task CatchUpAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CatchUpEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await streams.CatchUpAllAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogDebug("Catching up run streams failed ({Error}).", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
