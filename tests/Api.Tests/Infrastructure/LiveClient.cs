using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// A script's view of the live stream: a real SignalR client (the one our users take from NuGet)
/// that records every event it receives, in order, and re-subscribes from the last sequence it saw
/// when its automatic reconnect brings it back, as docs/live-metrics.md tells clients to.
/// </summary>
public sealed class LiveClient : IAsyncDisposable
{
    public sealed record Received(string Kind, Guid RunId, long Sequence, JsonElement Payload, DateTime At);

    static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    readonly HubConnection connection;
    readonly ConcurrentQueue<Received> events = new();
    readonly ConcurrentDictionary<Guid, long> lastSequence = new();

    public int Reconnects;

    ClientLog log = new();

    /// <summary>What the SignalR client logged (warnings and errors): part of a failing test's message.</summary>
    public string Log => log.ToString();

    sealed class ClientLog : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        readonly System.Text.StringBuilder text = new();

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            lock (text) text.AppendLine($"{logLevel}: {formatter(state, exception)} {exception?.Message}");
        }

        public override string ToString()
        {
            lock (text) return text.ToString();
        }

        public void Dispose()
        {
        }
    }

    LiveClient(HubConnection connection, bool messagePack)
    {
        this.connection = connection;
        foreach (var kind in new[] { "RunStatus", "EpochEnd", "BatchProgress" })
        {
            // MessagePack has no JsonElement: its maps come as dictionaries, turned into JSON here to be read alike.
            if (messagePack) connection.On<object>(kind, payload => Record(kind, JsonSerializer.SerializeToElement(payload, Json)));
            else connection.On<JsonElement>(kind, payload => Record(kind, payload));
        }
        connection.Reconnected += async _ =>
        {
            Interlocked.Increment(ref Reconnects);
            foreach (var (runId, sequence) in lastSequence)
                await connection.InvokeAsync("SubscribeRun", runId, sequence);
        };
    }

    public static async Task<LiveClient> ConnectAsync(string baseUrl, bool messagePack = false, string? apiKey = null)
    {
        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(new Uri(baseUrl), "/hubs/training"), o => { if (apiKey is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(apiKey); })
            .WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)])
            .AddJsonProtocol(o => o.PayloadSerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals);
        if (messagePack) builder.AddMessagePackProtocol();
        var log = new ClientLog();
        builder.ConfigureLogging(l => l.AddProvider(log));
        var client = new LiveClient(builder.Build(), messagePack);
        client.log = log;
        await client.connection.StartAsync();
        return client;
    }

    void Record(string kind, JsonElement payload)
    {
        var runId = payload.GetProperty("runId").GetGuid();
        var sequence = payload.GetProperty("sequence").GetInt64();
        events.Enqueue(new Received(kind, runId, sequence, payload.Clone(), DateTime.UtcNow));
        if (kind != "BatchProgress") lastSequence.AddOrUpdate(runId, sequence, (_, seen) => Math.Max(seen, sequence));
    }

    public async Task SubscribeAsync(Guid runId, long afterSequence = 0)
    {
        lastSequence.TryAdd(runId, afterSequence);
        await connection.InvokeAsync("SubscribeRun", runId, afterSequence);
    }

    public Task SubscribeAllAsync() => connection.InvokeAsync("SubscribeAll");

    public HubConnectionState State => connection.State;

    public IReadOnlyList<Received> Events => events.ToArray();

    /// <summary>The durable events (RunStatus, EpochEnd) of a run, in the order received.</summary>
    public IReadOnlyList<Received> Durable(Guid runId) => events.Where(e => e.RunId == runId && e.Kind != "BatchProgress").ToList();

    /// <summary>Waits until the client has received an event that satisfies <paramref name="done"/>.</summary>
    public async Task<Received> WaitForAsync(Func<Received, bool> done, TimeSpan timeout, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = events.FirstOrDefault(done);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"No such event within {timeout}. Received:\n{string.Join("\n", events.Select(e => $"{e.Kind} {e.Sequence} {e.Payload}"))}\n{describe?.Invoke()}\nClient log:\n{Log}");
            await Task.Delay(20);
        }
    }

    public static bool IsStatus(Received e, params string[] statuses) =>
        e.Kind == "RunStatus" && statuses.Contains(e.Payload.GetProperty("status").GetString());

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}
