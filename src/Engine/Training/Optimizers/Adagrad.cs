using static TorchSharp.torch;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>Keras Adagrad: a += g² (a starts at initial_accumulator_value); w −= lr·g / √(a + ε).</summary>
public sealed class Adagrad(AdagradSpec spec) : KerasOptimizer(spec)
{
    public override IReadOnlyList<string> SlotNames { get; } = ["accumulator"];

    protected override double InitialSlotValue(int slot) => spec.InitialAccumulatorValue;

    protected override void Update(Tensor variable, Tensor gradient, Tensor[] slots, double learningRate, long step)
    {
        var accumulator = slots[0];
        accumulator.addcmul_(gradient, gradient, 1);
        variable.addcdiv_(gradient, accumulator.add(spec.Epsilon).sqrt_(), -learningRate);
    }
}
