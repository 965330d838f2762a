using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TrainService.Jobs.Telemetry;

/// <summary>
/// What training reports to OpenTelemetry: a span per attempt (epochs as its events) and, per
/// epoch, its duration and samples per second, labelled with the node and device. Static, as .NET's
/// own instruments are: meters and sources are process-wide, and listeners pick them by name.
/// </summary>
public static class TrainingTelemetry
{
    public const string Name = "TrainService.Training";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

    static readonly Histogram<double> EpochDuration = Meter.CreateHistogram<double>(
        "trainservice.epoch.duration", "s", "Time to train one epoch, validation included.");

    static readonly Histogram<double> SamplesPerSecond = Meter.CreateHistogram<double>(
        "trainservice.training.samples_per_second", "{sample}/s", "Training samples per second over an epoch.");

    static readonly Counter<long> Epochs = Meter.CreateCounter<long>("trainservice.epochs", "{epoch}", "Epochs trained.");

    static readonly Counter<long> Attempts = Meter.CreateCounter<long>("trainservice.run.attempts", "{attempt}", "Run attempts ended, by outcome.");

    public static void EpochEnded(string node, string device, TimeSpan duration, long samples)
    {
        var tags = new TagList { { "node", node }, { "device", device } };
        EpochDuration.Record(duration.TotalSeconds, tags);
        if (duration > TimeSpan.Zero) SamplesPerSecond.Record(samples / duration.TotalSeconds, tags);
        Epochs.Add(1, tags);
    }

    public static void AttemptEnded(string device, string outcome, string? failureKind) =>
        Attempts.Add(1, new TagList { { "device", device }, { "outcome", outcome }, { "failure_kind", failureKind ?? "" } });
}
