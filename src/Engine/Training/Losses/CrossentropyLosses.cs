using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Losses;

/// <summary>
/// categorical_crossentropy: −Σ y_true·log(y_pred) over the class axis. On probabilities Keras
/// first rescales the row to sum to 1 and clips it to [1e-7, 1 − 1e-7] (its torch and JAX
/// backends; keras-semantics.md §3.5); on logits it uses log_softmax.
/// </summary>
public sealed class CategoricalCrossentropy(bool fromLogits, double labelSmoothing) : Loss("categorical_crossentropy")
{
    public bool FromLogits { get; } = fromLogits;

    public double LabelSmoothing { get; } = labelSmoothing;

    public override Tensor Compute(Tensor target, Tensor prediction)
    {
        if (LabelSmoothing > 0) target = target * (1 - LabelSmoothing) + LabelSmoothing / prediction.shape[^1];
        return -(target * CrossentropyMath.LogProbabilities(prediction, FromLogits)).sum(-1);
    }

    public override JsonObject ToJson() => new() { ["type"] = Name, ["from_logits"] = FromLogits, ["label_smoothing"] = LabelSmoothing };
}

/// <summary>sparse_categorical_crossentropy: categorical crossentropy with integer class ids as targets.</summary>
public sealed class SparseCategoricalCrossentropy(bool fromLogits) : Loss("sparse_categorical_crossentropy")
{
    public bool FromLogits { get; } = fromLogits;

    public override TargetForm Target => TargetForm.Labels;

    public override Tensor Compute(Tensor target, Tensor prediction) =>
        -CrossentropyMath.LogProbabilities(prediction, FromLogits).gather(-1, target.unsqueeze(-1)).squeeze(-1);

    public override JsonObject ToJson() => new() { ["type"] = Name, ["from_logits"] = FromLogits };
}

/// <summary>
/// binary_crossentropy: −(y·log p + (1 − y)·log(1 − p)) averaged over the last axis, with p clipped
/// to [1e-7, 1 − 1e-7] (Keras 3 on torch: clip, then torch's binary_cross_entropy).
/// </summary>
public sealed class BinaryCrossentropy(bool fromLogits, double labelSmoothing) : Loss("binary_crossentropy")
{
    public bool FromLogits { get; } = fromLogits;

    public double LabelSmoothing { get; } = labelSmoothing;

    public override Tensor Compute(Tensor target, Tensor prediction)
    {
        if (LabelSmoothing > 0) target = target * (1 - LabelSmoothing) + 0.5 * LabelSmoothing;
        var values = FromLogits
            ? nn.functional.binary_cross_entropy_with_logits(prediction, target, reduction: nn.Reduction.None)
            : nn.functional.binary_cross_entropy(prediction.clamp(Epsilon, 1 - Epsilon), target, reduction: nn.Reduction.None);
        return values.mean([-1]);
    }

    public override JsonObject ToJson() => new() { ["type"] = Name, ["from_logits"] = FromLogits, ["label_smoothing"] = LabelSmoothing };
}

static class CrossentropyMath
{
    /// <summary>log of the class probabilities, as Keras computes them before the crossentropy sum.</summary>
    public static Tensor LogProbabilities(Tensor prediction, bool fromLogits)
    {
        if (fromLogits) return prediction.log_softmax(-1);
        var normalised = prediction / prediction.sum(-1, keepdim: true);
        return normalised.clamp(Loss.Epsilon, 1 - Loss.Epsilon).log();
    }
}
