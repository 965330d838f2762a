using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers;

/// <summary>
/// A weight as Keras declares it in build(): name, shape in Keras's layout, whether the optimizer
/// trains it, and how it starts.
/// </summary>
public sealed record WeightSpec(
    string Name,
    long[] Shape,
    bool Trainable,
    Initializer Initializer,
    Regularizer? Regularizer = null,
    Constraint? Constraint = null)
{
    public long Count => Shape.Aggregate(1L, (p, d) => p * d);

    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Length == 1 ? ",)" : ")");
}
