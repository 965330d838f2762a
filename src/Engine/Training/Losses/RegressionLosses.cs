using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Losses;

/// <summary>mean_squared_error: mean((y_pred − y_true)²) over the last axis.</summary>
public sealed class MeanSquaredError() : Loss("mean_squared_error")
{
    public override Tensor Compute(Tensor target, Tensor prediction) => (prediction - target).square().mean([-1]);
}

/// <summary>mean_absolute_error: mean(|y_pred − y_true|) over the last axis.</summary>
public sealed class MeanAbsoluteError() : Loss("mean_absolute_error")
{
    public override Tensor Compute(Tensor target, Tensor prediction) => (prediction - target).abs().mean([-1]);
}

/// <summary>huber: ½e² where |e| ≤ δ, δ(|e| − ½δ) beyond, averaged over the last axis (torch's huber_loss is the same function).</summary>
public sealed class Huber(double delta) : Loss("huber")
{
    public double Delta { get; } = delta;

    public override Tensor Compute(Tensor target, Tensor prediction) =>
        nn.functional.huber_loss(prediction, target, Delta, nn.Reduction.None).mean([-1]);

    public override JsonObject ToJson() => new() { ["type"] = Name, ["delta"] = Delta };
}
