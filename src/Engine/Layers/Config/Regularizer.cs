using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Config;

/// <summary>Keras's L1/L2 weight penalty, added to the total loss: l1·Σ|w| + l2·Σw².</summary>
public sealed record Regularizer(double L1, double L2)
{
    /// <summary>The penalty of a weight. Sums of |w| and w² do not depend on layout, so the torch tensor serves.</summary>
    public Tensor Penalty(Tensor weight)
    {
        Tensor? total = null;
        if (L1 != 0) total = weight.abs().sum() * L1;
        if (L2 != 0)
        {
            var l2 = weight.square().sum() * L2;
            total = total is null ? l2 : total + l2;
        }
        return total ?? zeros(1, dtype: weight.dtype, device: weight.device).sum();
    }

    public static Regularizer? Parse(JsonNode node, out string? problem)
    {
        if (!KerasObject.TryRead(node, out var name, out var c, out problem)) return null;
        switch (name)
        {
            case "l1": return new Regularizer(KerasObject.Number(c, "l1", 0.01), 0);
            case "l2": return new Regularizer(0, KerasObject.Number(c, "l2", 0.01));
            case "l1_l2" when c.Count == 0: return new Regularizer(0.01, 0.01);
            case "l1_l2": return new Regularizer(KerasObject.Number(c, "l1", 0), KerasObject.Number(c, "l2", 0));
            default:
                problem = $"unknown regularizer '{name}' (known: l1, l2, l1_l2)";
                return null;
        }
    }
}

public static class RegularizerConfig
{
    public static Regularizer? Regularizer(this LayerConfig config, string key)
    {
        var raw = config.Raw(key);
        if (raw is null) return null;
        var result = Config.Regularizer.Parse(raw, out var problem);
        if (result is null) config.Error(key, $"'{key}': {problem}.");
        return result;
    }

    /// <summary>activity_regularizer: accepted when null; a penalty on a layer's outputs is not implemented.</summary>
    public static void NoActivityRegularizer(this LayerConfig config) =>
        config.Expect("activity_regularizer", null, "penalties on layer outputs are not implemented; use kernel_regularizer or bias_regularizer.");
}
