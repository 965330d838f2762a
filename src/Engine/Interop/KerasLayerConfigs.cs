using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;

namespace TrainService.Engine.Interop;

/// <summary>
/// A Keras layer entry's class and config as a node's type and config. Layer configs carry over key
/// for key (the graph format takes Keras's keys); what changes is what Keras writes besides the
/// layer's own settings (input shapes on a Sequential's first layer), what a name means in one
/// Keras version only (Keras 2's hard_sigmoid), and what cannot run here (Python code).
/// </summary>
public static class KerasLayerConfigs
{
    /// <summary>Keys a Keras 2 layer carries to build a Sequential's input, which the input now holds.</summary>
    static readonly string[] InputShapeKeys = ["batch_input_shape", "batch_shape", "input_shape", "input_dim", "input_dtype"];

    static readonly string[] ActivationKeys = ["activation", "recurrent_activation"];

    /// <summary>Layers that hold Python code, which a config names but does not contain.</summary>
    static readonly Dictionary<string, string> CodeLayers = new(StringComparer.Ordinal)
    {
        ["Lambda"] = "a Lambda layer: its function is Python code (stored as marshalled bytecode or a function name), which cannot run here; rewrite it with built-in layers",
        ["TFOpLambda"] = "a TensorFlow operation recorded as a layer (TFOpLambda): its function is TensorFlow code, which cannot run here; use the equivalent built-in layer",
        ["SlicingOpLambda"] = "a tensor slice recorded as a layer (SlicingOpLambda), which cannot run here",
    };

    public static (string Type, JsonObject Config)? Translate(string name, string className, JsonObject entry, JsonObject config,
        KerasDialect dialect, string pointer, DiagnosticBag errors)
    {
        if (Refusal(className, entry) is { } why)
        {
            errors.Error(JsonPointer.Append(pointer, "class_name"), $"Layer '{name}' is {why}.", name);
            return null;
        }
        var translated = config.DeepClone().AsObject();
        RemoveInputShape(translated, className);
        TranslateValues(translated, className, dialect, JsonPointer.Append(pointer, "config"), name, errors);
        return (className, translated);
    }

    /// <summary>Why a class cannot be imported, or null when the engine has it.</summary>
    static string? Refusal(string className, JsonObject entry)
    {
        if (CodeLayers.TryGetValue(className, out var code)) return code;
        var registered = KerasModelConverter.Text(entry["registered_name"]);
        var module = KerasModelConverter.Text(entry["module"]);
        if (registered is not null && registered != className && registered is not ("Functional" or "Sequential"))
            return $"a custom layer (registered as '{registered}'): its code is Python, which the file does not contain and cannot run here";
        if (module is not null && !module.StartsWith("keras", StringComparison.Ordinal))
            return $"a custom layer (class '{className}' from module '{module}'): its code is Python, which the file does not contain and cannot run here";
        if (!LayerRegistry.IsKnown(className) || className is "Model" or "Functional" or "Xception")
        {
            var suggestions = LayerRegistry.Suggest(className).ToList();
            return $"of class '{className}', which is a custom layer or a Keras layer the engine does not implement"
                + (suggestions.Count > 0 ? $" (did you mean {string.Join(" or ", suggestions)}?)" : "")
                + "; see docs/keras-interop.md for the layers that import";
        }
        return null;
    }

    static void RemoveInputShape(JsonObject config, string className)
    {
        foreach (var key in InputShapeKeys)
            // Embedding's input_dim is its vocabulary size, not a shape.
            if (!(key == "input_dim" && className == "Embedding")) config.Remove(key);
    }

    static void TranslateValues(JsonObject config, string className, KerasDialect dialect, string pointer, string layer, DiagnosticBag errors)
    {
        foreach (var key in ActivationKeys)
        {
            if (config[key] is JsonValue v && v.TryGetText(out var activation))
                config[key] = Activation(activation, dialect);
            else if (config[key] is JsonObject custom)
                errors.Error(JsonPointer.Append(pointer, key), $"Layer '{layer}' has a custom activation ({custom.ToJsonString()}); only Keras's built-in activations, written by name, can run here.", layer);
        }
        // TensorFlow.js leaves LSTM's unit_forget_bias null when not set (false for its initializer).
        if (dialect == KerasDialect.TensorFlowJs && config.ContainsKey("unit_forget_bias") && config["unit_forget_bias"] is null)
            config["unit_forget_bias"] = false;
        if (className is "Bidirectional" or "TimeDistributed")
            foreach (var key in new[] { "layer", "backward_layer" })
                if (config[key] is JsonObject wrapped)
                    TranslateWrapped(wrapped, dialect, JsonPointer.Append(pointer, key), layer, errors);
    }

    static void TranslateWrapped(JsonObject wrapped, KerasDialect dialect, string pointer, string layer, DiagnosticBag errors)
    {
        var className = KerasModelConverter.Text(wrapped["class_name"]) ?? KerasModelConverter.Text(wrapped["type"]);
        if (className is null) return;
        if (Refusal(className, wrapped) is { } why)
        {
            errors.Error(JsonPointer.Append(pointer, "class_name"), $"The layer that '{layer}' wraps is {why}.", layer);
            return;
        }
        if (wrapped["config"] is JsonObject config)
        {
            RemoveInputShape(config, className);
            TranslateValues(config, className, dialect, JsonPointer.Append(pointer, "config"), layer, errors);
        }
    }

    /// <summary>An activation name in the engine's terms: Keras 2's hard_sigmoid has its own name.</summary>
    public static string Activation(string name, KerasDialect dialect) =>
        name == "hard_sigmoid" && dialect.HasKeras2HardSigmoid() ? "hard_sigmoid_keras2" : name;
}
