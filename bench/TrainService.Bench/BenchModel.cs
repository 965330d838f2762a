using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench;

/// <summary>
/// One benchmark model: the graph and compile settings the engine trains, random data of the
/// right shapes, and the same model written by hand with plain TorchSharp modules.
/// </summary>
abstract class BenchModel
{
    public abstract string Name { get; }

    public abstract int DefaultBatch { get; }

    public abstract string Graph { get; }

    public abstract string Compile { get; }

    /// <summary>Inputs and targets for <paramref name="samples"/> samples, in graph order.</summary>
    public abstract (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator);

    public abstract Handwritten CreateHandwritten();
}

/// <summary>A model written directly against TorchSharp: forward pass and Keras's loss in one call.</summary>
abstract class Handwritten : nn.Module<Tensor[], Tensor[], Tensor>
{
    protected Handwritten(string name) : base(name) { }

    public IEnumerable<Parameter> Trainable => parameters().Where(p => p.requires_grad);
}

/// <summary>Keras's loss formulas as a TorchSharp user would write them (probabilities, clipped).</summary>
static class KerasLoss
{
    const double Epsilon = 1e-7;

    public static Tensor CategoricalCrossentropy(Tensor probabilities, Tensor oneHot) =>
        -(oneHot * (probabilities / probabilities.sum(-1, keepdim: true)).clamp(Epsilon, 1 - Epsilon).log()).sum(-1).mean();

    public static Tensor BinaryCrossentropy(Tensor probabilities, Tensor bits) =>
        nn.functional.binary_cross_entropy(probabilities.clamp(Epsilon, 1 - Epsilon), bits);

    public static Tensor MeanSquaredError(Tensor prediction, Tensor target) => nn.functional.mse_loss(prediction, target);
}
