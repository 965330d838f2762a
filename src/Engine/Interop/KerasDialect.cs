using System.Text.Json.Nodes;

namespace TrainService.Engine.Interop;

/// <summary>
/// Which writer made a Keras model config. They agree on the layers' config keys but not on how
/// calls are written, how nested models' calls are numbered, or what "hard_sigmoid" means.
/// </summary>
public enum KerasDialect
{
    /// <summary>Keras 2 / tf.keras: inbound nodes as [layer, node, tensor, kwargs]; nested models' calls counted from 1.</summary>
    Keras2,

    /// <summary>TensorFlow.js layers: Keras 2's format (class_name "Model"), hard_sigmoid = clip(0.2x + 0.5, 0, 1).</summary>
    TensorFlowJs,

    /// <summary>Keras 3: objects with module/registered_name, inbound nodes {args, kwargs} of __keras_tensor__s.</summary>
    Keras3,
}

public static class KerasDialects
{
    public static string Describe(this KerasDialect dialect) => dialect switch
    {
        KerasDialect.Keras2 => "Keras 2",
        KerasDialect.TensorFlowJs => "TensorFlow.js",
        _ => "Keras 3",
    };

    /// <summary>
    /// Keras 2 and TensorFlow.js define hard_sigmoid as clip(0.2x + 0.5, 0, 1), Keras 3 as
    /// relu6(x + 3) / 6; the engine names the first "hard_sigmoid_keras2".
    /// </summary>
    public static bool HasKeras2HardSigmoid(this KerasDialect dialect) => dialect != KerasDialect.Keras3;

    /// <summary>
    /// Recognises the writer of a model object {class_name, config, keras_version, ...}: Keras 3
    /// marks objects with "module" and writes calls as {args, kwargs}; TensorFlow.js writes
    /// keras_version "tfjs-layers x.y".
    /// </summary>
    public static KerasDialect Detect(JsonObject model, string? kerasVersion = null)
    {
        kerasVersion ??= model["keras_version"] is JsonValue v && v.TryGetText(out var s) ? s : null;
        if (kerasVersion is not null)
        {
            if (kerasVersion.StartsWith("tfjs", StringComparison.OrdinalIgnoreCase)) return KerasDialect.TensorFlowJs;
            if (kerasVersion.StartsWith('3')) return KerasDialect.Keras3;
            if (kerasVersion.StartsWith('2') || kerasVersion.StartsWith('1')) return KerasDialect.Keras2;
        }
        if (model.ContainsKey("module") || model.ContainsKey("registered_name")) return KerasDialect.Keras3;
        if ((model["config"] as JsonObject)?["layers"] is JsonArray layers &&
            layers.Any(l => (l as JsonObject)?["inbound_nodes"] is JsonArray nodes && nodes.Any(n => n is JsonObject)))
            return KerasDialect.Keras3;
        if (model["backend"] is JsonValue b && b.TryGetText(out var backend) && backend.Contains("js", StringComparison.OrdinalIgnoreCase))
            return KerasDialect.TensorFlowJs;
        return KerasDialect.Keras2;
    }
}
