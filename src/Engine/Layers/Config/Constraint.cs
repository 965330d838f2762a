using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Config;

/// <summary>
/// A Keras weight constraint, applied to the weight after each optimizer step. Axes are Keras's,
/// so it is applied to the weight in Keras layout.
/// </summary>
public abstract record Constraint
{
    public abstract Tensor Apply(Tensor kerasWeight);

    public static Constraint? Parse(JsonNode node, out string? problem)
    {
        if (!KerasObject.TryRead(node, out var name, out var c, out problem)) return null;
        long[] Axis(long[] d)
        {
            return c["axis"] switch
            {
                JsonValue v when v.TryGetValue<int>(out var a) => [a],
                JsonArray arr => arr.Select(x => (long)x!.GetValue<int>()).ToArray(),
                _ => d,
            };
        }
        switch (name)
        {
            case "non_neg": return new NonNegConstraint();
            case "max_norm" or "maxnorm": return new MaxNormConstraint(KerasObject.Number(c, "max_value", 2), Axis([0]));
            case "unit_norm" or "unitnorm": return new UnitNormConstraint(Axis([0]));
            case "min_max_norm": return new MinMaxNormConstraint(KerasObject.Number(c, "min_value", 0), KerasObject.Number(c, "max_value", 1), KerasObject.Number(c, "rate", 1), Axis([0]));
            default:
                problem = $"unknown constraint '{name}' (known: non_neg, max_norm, unit_norm, min_max_norm)";
                return null;
        }
    }
}

public sealed record NonNegConstraint : Constraint
{
    public override Tensor Apply(Tensor w) => w.clamp_min(0);
}

// Keras: w * clip(norms, 0, max) / (epsilon + norms), norms over the given axes.
public sealed record MaxNormConstraint(double MaxValue, long[] Axis) : Constraint
{
    public override Tensor Apply(Tensor w)
    {
        using var norms = w.square().sum(Axis, keepdim: true).sqrt();
        using var desired = norms.clamp(0, MaxValue);
        return w * (desired / (norms + 1e-7));
    }
}

public sealed record UnitNormConstraint(long[] Axis) : Constraint
{
    public override Tensor Apply(Tensor w)
    {
        using var norms = w.square().sum(Axis, keepdim: true).sqrt();
        return w / (norms + 1e-7);
    }
}

public sealed record MinMaxNormConstraint(double MinValue, double MaxValue, double Rate, long[] Axis) : Constraint
{
    public override Tensor Apply(Tensor w)
    {
        using var norms = w.square().sum(Axis, keepdim: true).sqrt();
        using var desired = norms.clamp(MinValue, MaxValue) * Rate + norms * (1 - Rate);
        return w * (desired / (norms + 1e-7));
    }
}

public static class ConstraintConfig
{
    public static Constraint? Constraint(this LayerConfig config, string key)
    {
        var raw = config.Raw(key);
        if (raw is null) return null;
        var result = Config.Constraint.Parse(raw, out var problem);
        if (result is null) config.Error(key, $"'{key}': {problem}.");
        return result;
    }
}
