using System.Text.Json.Nodes;

namespace TrainService.Engine.Layers.Config;

/// <summary>
/// Keras serialises initializers, regularizers and constraints as a name ("glorot_uniform") or an
/// object {"class_name": "GlorotUniform", "config": {...}} (plus "module"/"registered_name" in
/// Keras 3). This reads both into a canonical snake_case name and a config object.
/// </summary>
internal static class KerasObject
{
    public static bool TryRead(JsonNode node, out string name, out JsonObject config, out string? problem)
    {
        problem = null;
        config = new JsonObject();
        name = "";
        if (node is JsonValue v && v.TryGetText(out var s))
        {
            name = Canonical(s);
            return true;
        }
        if (node is JsonObject obj)
        {
            foreach (var (key, _) in obj)
                if (key is not ("class_name" or "config" or "module" or "registered_name"))
                {
                    problem = $"unknown key '{key}' (expected class_name and config)";
                    return false;
                }
            if (obj["class_name"] is not JsonValue cn || !cn.TryGetText(out var className))
            {
                problem = "class_name is missing";
                return false;
            }
            name = Canonical(className);
            switch (obj["config"])
            {
                case null: break;
                case JsonObject c: config = c; break;
                default:
                    problem = "config must be an object";
                    return false;
            }
            return true;
        }
        problem = $"expected a name or {{\"class_name\", \"config\"}}, not {node.ToJsonString()}";
        return false;
    }

    /// <summary>GlorotUniform → glorot_uniform; L1L2 → l1_l2; already snake_case names stay.</summary>
    public static string Canonical(string name)
    {
        if (name.Contains('_') || name.All(c => !char.IsUpper(c))) return name.ToLowerInvariant();
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    public static double Number(JsonObject config, string key, double defaultValue) =>
        config[key] is JsonValue v && v.TryGetValue<double>(out var d) ? d : defaultValue;

    public static int? Seed(JsonObject config) =>
        config["seed"] is JsonValue v && v.TryGetValue<int>(out var seed) ? seed : null;
}
