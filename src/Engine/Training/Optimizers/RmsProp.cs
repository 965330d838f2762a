using static TorchSharp.torch;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>
/// Keras RMSprop: v = ρv + (1 − ρ)g²; w −= lr·g / √(v + ε), ε inside the square root (torch puts
/// it outside). Centered subtracts the squared mean gradient from v; momentum accumulates the
/// increments.
/// </summary>
public sealed class RmsProp(RmsPropSpec spec) : KerasOptimizer(spec)
{
    public override IReadOnlyList<string> SlotNames { get; } =
        [.. new[] { "velocity" }, .. spec.Momentum > 0 ? new[] { "momentum" } : [], .. spec.Centered ? new[] { "average_gradient" } : []];

    protected override void Update(Tensor variable, Tensor gradient, Tensor[] slots, double learningRate, long step)
    {
        var velocity = slots[0];
        velocity.mul_(spec.Rho).addcmul_(gradient, gradient, 1 - spec.Rho);
        Tensor denominator;
        if (spec.Centered)
        {
            var average = slots[^1];
            average.mul_(spec.Rho).add_(gradient, 1 - spec.Rho);
            denominator = velocity.addcmul(average, average, -1).add_(spec.Epsilon).sqrt_();
        }
        else
        {
            denominator = velocity.add(spec.Epsilon).sqrt_();
        }
        if (spec.Momentum > 0)
        {
            var momentum = slots[1];
            momentum.mul_(spec.Momentum).addcdiv_(gradient, denominator, learningRate);
            variable.sub_(momentum);
        }
        else
        {
            variable.addcdiv_(gradient, denominator, -learningRate);
        }
    }
}
