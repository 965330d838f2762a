using static TorchSharp.torch;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>
/// Keras SGD: m = momentum·m − lr·g; w += m, or with Nesterov w += momentum·m − lr·g;
/// plain w −= lr·g without momentum.
/// </summary>
public sealed class Sgd(SgdSpec spec) : KerasOptimizer(spec)
{
    public override IReadOnlyList<string> SlotNames { get; } = spec.Momentum != 0 ? ["momentum"] : [];

    protected override void Update(Tensor variable, Tensor gradient, Tensor[] slots, double learningRate, long step)
    {
        if (spec.Momentum == 0)
        {
            variable.add_(gradient, -learningRate);
            return;
        }
        var m = slots[0];
        m.mul_(spec.Momentum).add_(gradient, -learningRate);
        if (spec.Nesterov) variable.add_(m, spec.Momentum).add_(gradient, -learningRate);
        else variable.add_(m);
    }
}
