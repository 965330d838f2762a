using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers.Wrappers;

/// <summary>
/// Reads the layer a wrapper holds, {"type": "LSTM", "config": {...}} (or Keras's own
/// {"class_name": "LSTM", "config": {...}}), into a configured <see cref="Layer"/> whose errors
/// point into its config (…/config/layer/config/units).
/// </summary>
public static partial class WrappedLayer
{
    // Keras 3 serialises a layer with module, registered_name and build_config too; none changes the layer.
    static readonly string[] Keys = ["type", "class_name", "config", "module", "registered_name", "build_config"];

    public static Layer? Read(LayerConfig config, string key, out JsonObject? innerConfig)
    {
        innerConfig = null;
        var raw = config.Raw(key);
        var pointer = config.PointerOf(key);
        if (raw is not JsonObject spec)
        {
            config.Error(key, $"'{key}' must be a layer, {{\"type\": \"LSTM\", \"config\": {{...}}}}, not {raw?.ToJsonString() ?? "null"}.");
            return null;
        }
        var ok = true;
        foreach (var (name, _) in spec)
            if (!Keys.Contains(name))
            {
                config.Diagnostics.Error(JsonPointer.Append(pointer, name), $"Unknown key '{name}' in a wrapped layer; it has type and config.", config.Node);
                ok = false;
            }
        var typeKey = spec.ContainsKey("type") ? "type" : "class_name";
        if (spec[typeKey] is not JsonValue typeValue || !typeValue.TryGetText(out var type))
        {
            config.Diagnostics.Error(JsonPointer.Append(pointer, "type"), $"The layer in '{key}' needs a type (\"LSTM\", \"Dense\", ...).", config.Node);
            return null;
        }
        var layer = LayerRegistry.Create(type);
        if (layer is null)
        {
            var suggestions = LayerRegistry.Suggest(type).ToList();
            config.Diagnostics.Error(JsonPointer.Append(pointer, typeKey),
                $"Unknown layer type '{type}'." + (suggestions.Count > 0 ? $" Did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?" : ""), config.Node);
            return null;
        }
        switch (spec["config"])
        {
            case null: innerConfig = []; break;
            case JsonObject c: innerConfig = c; break;
            default:
                config.Diagnostics.Error(JsonPointer.Append(pointer, "config"), $"The config of the layer in '{key}' must be an object.", config.Node);
                return null;
        }
        Initialize(layer, type, innerConfig, JsonPointer.Append(pointer, "config"), config.Node, config.Diagnostics);
        return ok ? layer : null;
    }

    /// <summary>Configures a wrapped layer from its config; a config without a name gets Keras's default name for the type.</summary>
    public static void Initialize(Layer layer, string type, JsonObject json, string pointer, string node, DiagnosticBag diagnostics)
    {
        var name = json["name"] is JsonValue v && v.TryGetText(out var n) ? n : KerasDefaultName(type);
        layer.Initialize(name, type, new LayerConfig(json, pointer, node, diagnostics));
    }

    /// <summary>Keras's to_snake_case of a class name: SimpleRNN → simple_rnn, Conv2D → conv2d.</summary>
    public static string KerasDefaultName(string type)
    {
        var name = CapitalizedWord().Replace(type, "$1_$2");
        return LowerThenUpper().Replace(name, "$1_$2").ToLowerInvariant();
    }

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex CapitalizedWord();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerThenUpper();
}
