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

    /// <summary>
    /// How the weights a layer would declare now differ from those it was built with (a layer
    /// called again must fit its weights), or null when they have the same shapes.
    /// </summary>
    public static string? Difference(IReadOnlyList<WeightSpec> built, IReadOnlyList<WeightSpec> now)
    {
        if (built.Count != now.Count) return $"it would need {now.Count} weights instead of {built.Count}";
        for (int i = 0; i < built.Count; i++)
            if (!built[i].Shape.SequenceEqual(now[i].Shape))
                return $"its {built[i].Name} would be {now[i].ShapeText}, not {built[i].ShapeText}";
        return null;
    }
}
