using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Config;
using static TorchSharp.torch;

namespace TrainService.Engine.Modules;

/// <summary>
/// One Keras weight of a layer (Dense's kernel, LSTM's bias, ...) bound to the torch tensors that
/// hold it. Reading gives Keras's layout; writing takes it. The torch side may transpose, reorder
/// gates or split the weight across tensors.
/// </summary>
public sealed class KerasWeight(WeightSpec spec, IReadOnlyList<Tensor> storage, Func<Tensor> read, Action<Tensor> write)
{
    public WeightSpec Spec { get; } = spec;

    public string Name => Spec.Name;

    public long[] Shape => Spec.Shape;

    public bool Trainable { get; init; } = spec.Trainable;

    public Regularizer? Regularizer => Spec.Regularizer;

    public Constraint? Constraint => Spec.Constraint;

    /// <summary>The torch tensors that hold the weight (for penalties, which do not depend on layout).</summary>
    public IReadOnlyList<Tensor> Storage { get; } = storage;

    /// <summary>A detached copy in Keras's layout, on the weight's device.</summary>
    public Tensor Read()
    {
        using var _ = no_grad();
        return read().detach().contiguous().clone();
    }

    /// <summary>Sets the weight from a tensor in Keras's layout.</summary>
    public void Write(Tensor kerasValue)
    {
        if (!kerasValue.shape.SequenceEqual(Shape))
            throw new ArgumentException($"Weight '{Name}' has shape {Spec.ShapeText}, not ({string.Join(", ", kerasValue.shape)}).");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        write(kerasValue.to_type(ScalarType.Float32));
    }

    /// <summary>The same storage under another spec: how a wrapper layer (Bidirectional, TimeDistributed) names and freezes its inner layer's weights.</summary>
    public KerasWeight As(WeightSpec spec, bool trainable) => new(spec, Storage, read, write) { Trainable = trainable };

    public override string ToString() => $"{Name} {Spec.ShapeText}";
}
