using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Losses;

/// <summary>How a head's targets are written.</summary>
public enum TargetForm
{
    /// <summary>The prediction's shape: values, one-hot rows, 0/1 labels.</summary>
    Dense,

    /// <summary>Integer class ids: the prediction's shape without its class axis.</summary>
    Labels,
}

/// <summary>
/// A Keras loss function. <see cref="Compute"/> gives one value per sample (and per time step for
/// sequence outputs): Keras's loss functions average over the last axis. The reduction is Keras's
/// default, sum_over_batch_size: the sum of (sample weight × value) divided by the number of values,
/// so that sample weights scale a sample's share without renormalising the batch.
/// </summary>
public abstract class Loss(string name)
{
    /// <summary>Keras's function name (categorical_crossentropy, mse, ...).</summary>
    public string Name { get; } = name;

    public virtual TargetForm Target => TargetForm.Dense;

    /// <summary>Per-sample values: the prediction's shape without its last axis.</summary>
    public abstract Tensor Compute(Tensor target, Tensor prediction);

    /// <summary>sum_over_batch_size of the weighted values.</summary>
    public Tensor Reduce(Tensor values, Tensor? sampleWeight)
    {
        if (sampleWeight is null) return values.mean();
        var weights = sampleWeight;
        while (weights.dim() < values.dim()) weights = weights.unsqueeze(-1);
        return (values * weights).mean();
    }

    /// <summary>The config this loss was made from, for checkpoints and responses.</summary>
    public virtual JsonObject ToJson() => new() { ["type"] = Name };

    public override string ToString() => Name;

    /// <summary>Keras's epsilon(): probabilities are clipped to [ε, 1 − ε] before a logarithm.</summary>
    internal const double Epsilon = 1e-7;
}
