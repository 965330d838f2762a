using System.Text.Json;
using MessagePack;
using System.Text.Json.Serialization;

namespace TrainService.Jobs.Live;

/// <summary>The live stream's event names and payloads, as the hub sends them (docs/live-metrics.md).</summary>
public static class RunEventKinds
{
    public const string RunStatus = "RunStatus";
    public const string EpochEnd = "EpochEnd";
    public const string BatchProgress = "BatchProgress";
}

/// <summary>
/// Every event of a run carries its run and its place in the run's sequence. The MessagePack keys
/// are the JSON protocol's camelCase names, so both protocols' clients read the same fields.
/// </summary>
public interface IRunEvent
{
    Guid RunId { get; }

    long Sequence { get; }
}

[MessagePackObject]
public sealed record RunStatusEvent(
    [property: Key("runId")] Guid RunId,
    [property: Key("sequence")] long Sequence,
    [property: Key("status")] string Status,
    [property: Key("epoch")] int Epoch,
    [property: Key("epochs")] int Epochs,
    [property: Key("error")] string? Error,
    [property: Key("at")] DateTime At) : IRunEvent;

/// <param name="Epoch">Counted from 1, as GET /api/runs/{id}/metrics counts.</param>
/// <param name="Metrics">The epoch's logs under Keras's names (loss, age_loss, income_acc, val_loss...).</param>
/// <param name="Heads">The same values by output, under the names the client wrote (loss, acc, val_loss...).</param>
[MessagePackObject]
public sealed record EpochEndEvent(
    [property: Key("runId")] Guid RunId,
    [property: Key("sequence")] long Sequence,
    [property: Key("epoch")] int Epoch,
    [property: Key("epochs")] int Epochs,
    [property: Key("metrics")] IReadOnlyDictionary<string, double> Metrics,
    [property: Key("heads")] IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Heads,
    [property: Key("at")] DateTime At) : IRunEvent;

/// <param name="Sequence">The run's last durable event before this one: progress is a note, not a new event.</param>
[MessagePackObject]
public sealed record BatchProgressEvent(
    [property: Key("runId")] Guid RunId,
    [property: Key("sequence")] long Sequence,
    [property: Key("epoch")] int Epoch,
    [property: Key("batch")] int Batch,
    [property: Key("batches")] int Batches,
    [property: Key("loss")] double Loss,
    [property: Key("at")] DateTime At) : IRunEvent;

public static class RunEventJson
{
    /// <summary>Web names; non-finite numbers (a diverged loss) as "NaN", "Infinity", as Keras's JSON logs write them.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(IRunEvent runEvent) => JsonSerializer.Serialize(runEvent, runEvent.GetType(), Options);

    /// <summary>A stored event back as its payload type.</summary>
    public static IRunEvent Deserialize(string kind, string payload) => kind switch
    {
        RunEventKinds.RunStatus => JsonSerializer.Deserialize<RunStatusEvent>(payload, Options)!,
        RunEventKinds.EpochEnd => JsonSerializer.Deserialize<EpochEndEvent>(payload, Options)!,
        RunEventKinds.BatchProgress => JsonSerializer.Deserialize<BatchProgressEvent>(payload, Options)!,
        _ => throw new InvalidOperationException($"Unknown run event kind {kind}."),
    };

    public static string KindOf(IRunEvent runEvent) => runEvent switch
    {
        RunStatusEvent => RunEventKinds.RunStatus,
        EpochEndEvent => RunEventKinds.EpochEnd,
        BatchProgressEvent => RunEventKinds.BatchProgress,
        _ => throw new InvalidOperationException($"Unknown run event {runEvent.GetType().Name}."),
    };
}
