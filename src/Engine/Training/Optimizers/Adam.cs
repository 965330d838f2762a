using static TorchSharp.torch;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>
/// Keras Adam (and AdamW, whose weight decay the base class applies): m += (g − m)(1 − β₁),
/// v += (g² − v)(1 − β₂), α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), w −= α·m / (√v + ε). The ε is Keras's
/// "epsilon hat", not bias-corrected as torch's is.
/// </summary>
public sealed class Adam(AdamSpec spec) : KerasOptimizer(spec)
{
    public override IReadOnlyList<string> SlotNames { get; } =
        spec.Amsgrad ? ["momentum", "velocity", "velocity_hat"] : ["momentum", "velocity"];

    protected override void Update(Tensor variable, Tensor gradient, Tensor[] slots, double learningRate, long step)
    {
        var alpha = learningRate * Math.Sqrt(1 - Math.Pow(spec.Beta2, step)) / (1 - Math.Pow(spec.Beta1, step));
        var m = slots[0];
        var v = slots[1];
        m.mul_(spec.Beta1).add_(gradient, 1 - spec.Beta1);
        v.mul_(spec.Beta2).addcmul_(gradient, gradient, 1 - spec.Beta2);
        if (spec.Amsgrad)
        {
            var vHat = slots[2];
            vHat.copy_(vHat.maximum(v));
            v = vHat;
        }
        variable.addcdiv_(m, v.sqrt().add_(spec.Epsilon), -alpha);
    }
}
