using TrainService.Engine.Training.Losses;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Metrics;

/// <summary>
/// A Keras metric: state accumulated batch by batch on the training device (no host round trip
/// per batch), read once per epoch by <see cref="Result"/>.
/// </summary>
public abstract class Metric(string name) : IDisposable
{
    /// <summary>The name as the client wrote it; logs add the output's name before it.</summary>
    public string Name { get; } = name;

    /// <summary>How the metric wants its targets.</summary>
    public virtual TargetForm Target => TargetForm.Dense;

    /// <summary>Keras's metric direction: EarlyStopping's mode "auto" maximises metrics that go up.</summary>
    public abstract bool HigherIsBetter { get; }

    /// <summary>Clears the state and places it on the device the batches will come from.</summary>
    public abstract void Reset(Device device);

    public abstract void Update(Tensor target, Tensor prediction, Tensor? sampleWeight);

    /// <summary>The value over every batch since the last reset (reads the device).</summary>
    public abstract double Result();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    /// <summary>A tensor that outlives the step's dispose scope.</summary>
    protected static Tensor State(Tensor value) => value.DetachFromDisposeScope();

    protected static bool OnDevice(Tensor tensor, Device device) =>
        tensor.device_type == device.type && (device.index < 0 || tensor.device_index == device.index);
}

/// <summary>
/// Keras's MeanMetricWrapper: a function gives a value per sample (per time step for sequences);
/// the metric is their mean over the epoch, weighted by the sample weights when there are any.
/// </summary>
public sealed class MeanMetric(string name, bool higherIsBetter, TargetForm target, Func<Tensor, Tensor, Tensor> values) : Metric(name)
{
    Tensor? total;
    Tensor? weightTotal;
    double count;

    public override TargetForm Target => target;

    public override bool HigherIsBetter => higherIsBetter;

    public override void Reset(Device device)
    {
        if (total is null || !OnDevice(total, device))
        {
            total?.Dispose();
            weightTotal?.Dispose();
            total = State(zeros(1, ScalarType.Float64, device));
            weightTotal = State(zeros(1, ScalarType.Float64, device));
        }
        else
        {
            total.fill_(0);
            weightTotal!.fill_(0);
        }
        count = 0;
    }

    public override void Update(Tensor target, Tensor prediction, Tensor? sampleWeight)
    {
        var v = values(target, prediction).to_type(ScalarType.Float64);
        if (sampleWeight is null)
        {
            total!.add_(v.sum());
            count += v.numel();
            return;
        }
        var w = sampleWeight.to_type(ScalarType.Float64);
        while (w.dim() < v.dim()) w = w.unsqueeze(-1);
        w = w.expand_as(v);
        total!.add_((v * w).sum());
        weightTotal!.add_(w.sum());
    }

    public override double Result()
    {
        var denominator = count + weightTotal!.item<double>();
        return denominator == 0 ? 0 : total!.item<double>() / denominator;
    }

    protected override void Dispose(bool disposing)
    {
        total?.Dispose();
        weightTotal?.Dispose();
    }
}
