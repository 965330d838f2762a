using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Callbacks;

/// <summary>What a callback may see and do during fit.</summary>
public sealed class TrainingContext(KerasModel model)
{
    public KerasModel Model { get; } = model;

    /// <summary>Keras's model.stop_training: the run ends after the current batch's epoch bookkeeping.</summary>
    public bool StopTraining { get; private set; }

    public StopReason StopReason { get; private set; } = StopReason.Completed;

    public string? StopMessage { get; private set; }

    public void Stop(StopReason reason, string message)
    {
        StopTraining = true;
        StopReason = reason;
        StopMessage = message;
    }
}

/// <summary>
/// A Keras callback. The loop calls, in order: <see cref="OnTrainBegin"/>, then per epoch
/// <see cref="OnEpochBegin"/>, <see cref="OnBatchEnd"/> after each batch (only for callbacks
/// that ask for the batch loss, which costs a device read), <see cref="OnEpochEnd"/> with the
/// epoch's logs (a callback may add to them, as ReduceLROnPlateau adds learning_rate), then
/// <see cref="OnEpochCommitted"/> once the epoch is recorded in the model's history (where a
/// checkpoint taken holds the whole epoch), and finally <see cref="OnTrainEnd"/>.
/// </summary>
public abstract class Callback
{
    /// <summary>Where the callback was written in the fit request (for errors).</summary>
    public string Pointer { get; init; } = "";

    /// <summary>Keras's class name, also the checkpoint key of the callback's state.</summary>
    public abstract string Type { get; }

    protected TrainingContext Context { get; private set; } = null!;

    internal void Attach(TrainingContext context) => Context = context;

    /// <summary>Reports settings that cannot work with this model and data (a monitored name no epoch will log).</summary>
    public virtual void Validate(TrainingPlan plan, IReadOnlyCollection<string> logNames, DiagnosticBag diagnostics) { }

    /// <summary>Names this callback adds to epoch logs.</summary>
    public virtual IEnumerable<string> AddedLogNames => [];

    public virtual bool NeedsBatchLoss => false;

    public virtual void OnTrainBegin() { }

    public virtual void OnEpochBegin(int epoch) { }

    /// <param name="batch">0-based within the epoch.</param>
    /// <param name="loss">The epoch's running loss so far.</param>
    public virtual void OnBatchEnd(int epoch, int batch, double loss) { }

    public virtual void OnEpochEnd(int epoch, IDictionary<string, double> logs) { }

    public virtual void OnEpochCommitted(int epoch) { }

    public virtual void OnTrainEnd() { }

    /// <summary>State to keep in a checkpoint so that a resumed run decides as an uninterrupted one would.</summary>
    public virtual JsonObject? SaveState(IDictionary<string, Tensor> tensors) => null;

    public virtual void LoadState(JsonObject state, IReadOnlyDictionary<string, Tensor> tensors) { }
}

/// <summary>Shared by callbacks that watch one log entry for improvement.</summary>
public abstract class MonitoringCallback : Callback
{
    public string Monitor { get; init; } = "val_loss";

    /// <summary>"auto", "min" or "max".</summary>
    public string Mode { get; init; } = "auto";

    /// <summary>Resolved at <see cref="Validate"/>: whether larger values of the monitored entry are better.</summary>
    protected bool Maximize { get; private set; }

    public override void Validate(TrainingPlan plan, IReadOnlyCollection<string> logNames, DiagnosticBag diagnostics)
    {
        var monitorPointer = JsonPointer.Append(Pointer, "monitor");
        if (!logNames.Contains(Monitor))
        {
            var hint = Monitor.StartsWith("val_", StringComparison.Ordinal) && !logNames.Any(n => n.StartsWith("val_", StringComparison.Ordinal))
                ? " There is no validation data: give validation_split or validation data, or monitor a training value."
                : "";
            diagnostics.Error(monitorPointer, $"{Type} monitors '{Monitor}', which no epoch logs. Logged: {string.Join(", ", logNames)}.{hint}");
            return;
        }
        Maximize = Mode switch
        {
            "max" => true,
            "min" => false,
            _ => AutoMaximize(plan, diagnostics, monitorPointer),
        };
    }

    /// <summary>Keras 3's mode "auto": minimise losses, follow a metric's direction, and give up on anything else.</summary>
    protected virtual bool AutoMaximize(TrainingPlan plan, DiagnosticBag diagnostics, string monitorPointer)
    {
        if (plan.HigherIsBetter(Monitor) is bool higher) return higher;
        diagnostics.Error(JsonPointer.Append(Pointer, "mode"), $"{Type} cannot tell whether '{Monitor}' should go up or down: give mode \"min\" or \"max\".");
        return false;
    }

    protected bool TryGetMonitored(IDictionary<string, double> logs, out double value) => logs.TryGetValue(Monitor, out value);
}
