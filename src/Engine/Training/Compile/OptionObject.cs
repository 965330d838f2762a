using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Training.Compile;

/// <summary>
/// A Keras object in a compile or fit request: a name ("rmsprop"), an object with a type and its
/// settings ({"type": "adam", "learning_rate": 1e-3}), or Keras's serialised form
/// ({"class_name": "Adam", "config": {...}}).
/// </summary>
public sealed record OptionObject(string Type, JsonObject Config, string Pointer, string ConfigPointer, bool IsName = false)
{
    /// <summary>The type as Keras looks it up: lower case, underscores dropped ("RMSprop" and "rms_prop" are "rmsprop").</summary>
    public string Key => Normalize(Type);

    public static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    public static OptionObject? Read(JsonNode? node, string pointer, DiagnosticBag diagnostics, string what)
    {
        switch (node)
        {
            case JsonValue value when value.TryGetText(out var name):
                return new OptionObject(name, [], pointer, pointer, IsName: true);
            case JsonObject obj when obj.ContainsKey("class_name"):
                {
                    if (obj["class_name"] is not JsonValue cn || !cn.TryGetText(out var className))
                    {
                        diagnostics.Error(JsonPointer.Append(pointer, "class_name"), $"class_name must name the {what}.");
                        return null;
                    }
                    foreach (var (key, _) in obj)
                        if (key is not ("class_name" or "config" or "module" or "registered_name"))
                            diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown key '{key}': a serialised {what} has class_name and config.");
                    var configPointer = JsonPointer.Append(pointer, "config");
                    switch (obj["config"])
                    {
                        case null: return new OptionObject(className, [], pointer, configPointer);
                        case JsonObject config: return new OptionObject(className, (JsonObject)config.DeepClone(), pointer, configPointer);
                        default:
                            diagnostics.Error(configPointer, $"config must be an object of the {what}'s settings.");
                            return null;
                    }
                }
            case JsonObject obj:
                {
                    if (obj["type"] is not JsonValue tv || !tv.TryGetText(out var type))
                    {
                        diagnostics.Error(JsonPointer.Append(pointer, "type"), $"A {what} written as an object needs a type, e.g. {{\"type\": \"...\", ...settings}}.");
                        return null;
                    }
                    var config = (JsonObject)obj.DeepClone();
                    config.Remove("type");
                    return new OptionObject(type, config, pointer, pointer);
                }
            default:
                diagnostics.Error(pointer, $"A {what} is a name or an object {{\"type\": name, ...settings}}, not {node?.ToJsonString() ?? "null"}.");
                return null;
        }
    }

    /// <summary>
    /// Reads the settings with <see cref="LayerConfig"/>'s typed readers (Keras defaults, ranges,
    /// unknown keys reported); problems go to <paramref name="diagnostics"/> with this object's pointers.
    /// </summary>
    public T ReadConfig<T>(DiagnosticBag diagnostics, Func<LayerConfig, T> read)
    {
        var scratch = new DiagnosticBag();
        var config = new LayerConfig(Config, ConfigPointer, "", scratch);
        var result = read(config);
        config.Finish();
        // LayerConfig reports against a graph node; these settings belong to none.
        diagnostics.AddRange(scratch.All.Select(d => d with { Node = null }));
        return result;
    }

    /// <summary>"Unknown x 'y'. Known: a, b. Did you mean 'c'?"</summary>
    public static string Unknown(string what, string name, IEnumerable<string> known)
    {
        var names = known.ToList();
        var close = names.Where(n => LayerRegistry.IsClose(Normalize(n), Normalize(name))).Take(3).ToList();
        var hint = close.Count > 0 ? $" Did you mean {string.Join(" or ", close.Select(c => $"'{c}'"))}?" : "";
        return $"Unknown {what} '{name}'. Known: {string.Join(", ", names)}.{hint}";
    }
}
