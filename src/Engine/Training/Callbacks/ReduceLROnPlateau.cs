using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Callbacks;

/// <summary>
/// keras.callbacks.ReduceLROnPlateau: after patience epochs without the monitored value improving
/// by min_delta, multiply the learning rate by factor (not below min_lr), then wait cooldown epochs.
/// Adds learning_rate (the rate the epoch trained with) to the epoch's logs, as Keras does.
/// </summary>
public sealed class ReduceLROnPlateau : MonitoringCallback
{
    int wait;
    int cooldownCounter;
    double best;

    public override string Type => "ReduceLROnPlateau";

    public double Factor { get; init; } = 0.1;

    public int Patience { get; init; } = 10;

    public double MinDelta { get; init; } = 1e-4;

    public int Cooldown { get; init; }

    public double MinLearningRate { get; init; }

    public override IEnumerable<string> AddedLogNames => ["learning_rate"];

    /// <summary>Keras's ReduceLROnPlateau keeps the older rule for mode "auto": maximise when the name contains "acc".</summary>
    protected override bool AutoMaximize(TrainingPlan plan, DiagnosticBag diagnostics, string monitorPointer) =>
        Monitor.Contains("acc", StringComparison.Ordinal);

    public override void OnTrainBegin()
    {
        wait = 0;
        cooldownCounter = 0;
        best = Maximize ? double.NegativeInfinity : double.PositiveInfinity;
    }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        var optimizer = Context.Model.Optimizer!;
        logs["learning_rate"] = (float)optimizer.LearningRate;
        if (!TryGetMonitored(logs, out var current)) return;
        if (cooldownCounter > 0)
        {
            cooldownCounter--;
            wait = 0;
        }
        if (Maximize ? current > best + MinDelta : current < best - MinDelta)
        {
            best = current;
            wait = 0;
        }
        else if (cooldownCounter <= 0)
        {
            wait++;
            if (wait >= Patience)
            {
                var old = optimizer.LearningRate;
                // Keras compares with min_lr as float32.
                if (old > (float)MinLearningRate)
                {
                    optimizer.LearningRate = Math.Max(old * Factor, MinLearningRate);
                    cooldownCounter = Cooldown;
                    wait = 0;
                }
            }
        }
    }

    public override JsonObject? SaveState(IDictionary<string, Tensor> tensors) =>
        new() { ["wait"] = wait, ["cooldown_counter"] = cooldownCounter, ["best"] = double.IsFinite(best) ? best : null };

    public override void LoadState(JsonObject state, IReadOnlyDictionary<string, Tensor> tensors)
    {
        wait = state["wait"]!.GetValue<int>();
        cooldownCounter = state["cooldown_counter"]!.GetValue<int>();
        best = state["best"]?.GetValue<double>() ?? (Maximize ? double.NegativeInfinity : double.PositiveInfinity);
    }
}
