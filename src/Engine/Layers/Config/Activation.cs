using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Config;

/// <summary>A Keras activation by name, with Keras 3's definition of each.</summary>
public sealed class Activation
{
    static readonly Dictionary<string, Func<Tensor, Tensor>> Functions = new(StringComparer.Ordinal)
    {
        ["linear"] = x => x,
        ["relu"] = x => nn.functional.relu(x),
        ["relu6"] = x => nn.functional.relu6(x),
        ["sigmoid"] = x => x.sigmoid(),
        // Keras 3: relu6(x + 3) / 6. Keras 2 and TensorFlow.js used clip(0.2x + 0.5, 0, 1); that
        // meaning has its own name below so that imported Keras 2 models keep it.
        ["hard_sigmoid"] = x => nn.functional.hardsigmoid(x),
        ["hard_sigmoid_keras2"] = x => (x * 0.2 + 0.5).clamp(0.0, 1.0),
        ["tanh"] = x => x.tanh(),
        ["softmax"] = x => x.softmax(-1),
        ["log_softmax"] = x => x.log_softmax(-1),
        ["elu"] = x => nn.functional.elu(x, 1.0),
        ["selu"] = x => nn.functional.selu(x),
        ["softplus"] = x => nn.functional.softplus(x),
        ["softsign"] = x => nn.functional.softsign(x),
        ["swish"] = x => nn.functional.silu(x),
        ["silu"] = x => nn.functional.silu(x),
        ["hard_silu"] = x => nn.functional.hardswish(x),
        ["hard_swish"] = x => nn.functional.hardswish(x),
        ["gelu"] = x => nn.functional.gelu(x),
        ["mish"] = x => nn.functional.mish(x),
        ["exponential"] = x => x.exp(),
        ["leaky_relu"] = x => nn.functional.leaky_relu(x, 0.2),
    };

    Activation(string name, Func<Tensor, Tensor> apply)
    {
        Name = name;
        Apply = apply;
    }

    public string Name { get; }

    /// <summary>Applies the activation; the identity for linear.</summary>
    public Func<Tensor, Tensor> Apply { get; }

    public bool IsLinear => Name == "linear";

    public static Activation Linear { get; } = new("linear", x => x);

    public static IEnumerable<string> Names => Functions.Keys;

    public static bool TryGet(string name, out Activation activation)
    {
        if (name == "linear" || name == "None")
        {
            activation = Linear;
            return true;
        }
        if (Functions.TryGetValue(name, out var f))
        {
            activation = new Activation(name, f);
            return true;
        }
        activation = Linear;
        return false;
    }

    public override string ToString() => Name;
}

public static class ActivationConfig
{
    /// <summary>Reads an activation key: a name, or null for linear.</summary>
    public static Activation Activation(this LayerConfig config, string key, string defaultName = "linear")
    {
        var raw = config.Raw(key);
        if (raw is null) return defaultName == "linear" ? Config.Activation.Linear : Get(defaultName);
        if (raw is JsonValue v && v.TryGetText(out var name))
        {
            if (Config.Activation.TryGet(name, out var activation)) return activation;
            config.Error(key, $"Unknown activation '{name}'. Known: {string.Join(", ", Config.Activation.Names)}.");
            return Config.Activation.Linear;
        }
        config.Error(key, $"'{key}' must be an activation name, not {raw.ToJsonString()}.");
        return Config.Activation.Linear;
    }

    static Activation Get(string name) => Config.Activation.TryGet(name, out var a) ? a : Config.Activation.Linear;
}
