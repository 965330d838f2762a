using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers.Normalization;

/// <summary>The axis key of the normalization layers: an int, or a list (Keras writes the built axes as [3]).</summary>
static class NormalizationAxes
{
    public static int[] Read(LayerConfig config, bool allowSeveral)
    {
        var raw = config.Raw("axis");
        if (raw is null) return [-1];
        if (raw is JsonValue v && v.TryGetValue<int>(out var single)) return [single];
        if (raw is JsonArray array && array.Count > 0 && array.All(a => a is JsonValue av && av.TryGetValue<int>(out _)))
        {
            var axes = array.Select(a => a!.GetValue<int>()).ToArray();
            if (axes.Length == 1 || allowSeveral) return axes;
            config.Error("axis", $"'axis' {raw.ToJsonString()}: normalizing over several axes is not implemented for this layer; give one axis.");
            return [-1];
        }
        config.Error("axis", $"'axis' must be an integer{(allowSeveral ? " or a list of integers" : "")}, not {raw.ToJsonString()}.");
        return [-1];
    }

    /// <summary>The axes as positions in <paramref name="shape"/>, or null after failing <paramref name="check"/>.</summary>
    public static int[]? Resolve(IReadOnlyList<int> axes, Shape shape, string type, ShapeCheck check)
    {
        var resolved = axes.Select(shape.NormalizeAxis).ToArray();
        foreach (var (axis, original) in resolved.Zip(axes))
        {
            if (axis <= 0 || axis >= shape.Rank)
            {
                check.Fail($"{type} axis {original} is out of range for inputs {shape} (the batch axis cannot be normalized over).");
                return null;
            }
            if (shape[axis] is null)
            {
                check.Fail($"{type} needs the size of axis {original} defined (its weights have that size), not {shape}.");
                return null;
            }
        }
        if (resolved.Distinct().Count() != resolved.Length)
        {
            check.Fail($"{type} axis [{string.Join(", ", axes)}] names an axis twice.");
            return null;
        }
        return [.. resolved.Order()];
    }

    /// <summary>A weight over <paramref name="axes"/> shaped to broadcast against inputs of rank <paramref name="rank"/>.</summary>
    public static long[] BroadcastShape(long[] weightShape, int[] axes, int rank)
    {
        var shape = Enumerable.Repeat(1L, rank).ToArray();
        for (int i = 0; i < axes.Length; i++) shape[axes[i]] = weightShape[i];
        return shape;
    }
}
