using System.Globalization;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Layers.Config;

/// <summary>
/// Reads one layer's Keras config, key by key, with Keras's defaults. Every problem is reported
/// with the JSON pointer of the key; keys nobody read are reported as unknown when the layer has
/// finished reading (<see cref="Finish"/>), so nothing the client sent is silently ignored.
/// </summary>
public sealed class LayerConfig(JsonObject json, string pointer, string node, DiagnosticBag diagnostics)
{
    readonly HashSet<string> read = new(StringComparer.Ordinal);

    public string Node => node;

    public string Pointer => pointer;

    public JsonObject Json => json;

    public DiagnosticBag Diagnostics => diagnostics;

    public string PointerOf(string key) => JsonPointer.Append(pointer, key);

    public bool Has(string key) => json.ContainsKey(key);

    public void Error(string key, string message) => diagnostics.Error(PointerOf(key), message, node);

    /// <summary>The raw value of a key (marks it read).</summary>
    public JsonNode? Raw(string key)
    {
        read.Add(key);
        return json[key];
    }

    /// <summary>A key whose value is present and not null.</summary>
    bool TryGet(string key, out JsonNode value)
    {
        read.Add(key);
        if (json[key] is JsonNode v)
        {
            value = v;
            return true;
        }
        value = null!;
        return false;
    }

    public int Int(string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        OptionalInt(key, min, max) ?? defaultValue;

    public int RequiredInt(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!json.ContainsKey(key) || json[key] is null)
        {
            read.Add(key);
            Error(key, $"'{key}' is required.");
            return Math.Max(min, 1);
        }
        return OptionalInt(key, min, max) ?? Math.Max(min, 1);
    }

    public int? OptionalInt(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!TryGet(key, out var value)) return null;
        if (!TryInt(value, out var n))
        {
            Error(key, $"'{key}' must be an integer, not {value.ToJsonString()}.");
            return null;
        }
        if (n < min || n > max)
        {
            Error(key, max == int.MaxValue ? $"'{key}' must be at least {min}, not {n}." : $"'{key}' must be between {min} and {max}, not {n}.");
            return null;
        }
        return n;
    }

    public double Double(string key, double defaultValue, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        if (!TryGet(key, out var value)) return defaultValue;
        if (value is not JsonValue v || !v.TryGetValue<double>(out var d) || !double.IsFinite(d))
        {
            Error(key, $"'{key}' must be a number, not {value.ToJsonString()}.");
            return defaultValue;
        }
        if (d < min || d > max || (minExclusive && d == min))
        {
            Error(key, $"'{key}' must be {(minExclusive ? "greater than" : "at least")} {min.ToString(CultureInfo.InvariantCulture)}{(double.IsPositiveInfinity(max) ? "" : " and at most " + max.ToString(CultureInfo.InvariantCulture))}, not {d.ToString(CultureInfo.InvariantCulture)}.");
            return defaultValue;
        }
        return d;
    }

    public bool Bool(string key, bool defaultValue)
    {
        if (!TryGet(key, out var value)) return defaultValue;
        if (value is JsonValue v && v.TryGetValue<bool>(out var b)) return b;
        Error(key, $"'{key}' must be true or false, not {value.ToJsonString()}.");
        return defaultValue;
    }

    public string String(string key, string defaultValue, params string[] allowed)
    {
        if (!TryGet(key, out var value)) return defaultValue;
        if (value is not JsonValue v || !v.TryGetText(out var s))
        {
            Error(key, $"'{key}' must be a string, not {value.ToJsonString()}.");
            return defaultValue;
        }
        if (allowed.Length > 0 && !allowed.Contains(s, StringComparer.Ordinal))
        {
            Error(key, $"'{key}' must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}, not '{s}'.");
            return defaultValue;
        }
        return s;
    }

    /// <summary>An int or a list of <paramref name="rank"/> ints, as Keras's kernel_size, strides, pool_size.</summary>
    public int[] Tuple(string key, int rank, int[]? defaultValue, int min = 1)
    {
        if (!TryGet(key, out var value))
        {
            if (defaultValue is null)
            {
                Error(key, $"'{key}' is required.");
                return Enumerable.Repeat(1, rank).ToArray();
            }
            return defaultValue;
        }
        int[]? result = null;
        if (TryInt(value, out var single)) result = Enumerable.Repeat(single, rank).ToArray();
        else if (value is JsonArray array && array.Count == rank && array.All(a => a is not null && TryInt(a, out _)))
            result = array.Select(a => { TryInt(a!, out var n); return n; }).ToArray();
        if (result is null)
        {
            Error(key, $"'{key}' must be an integer or a list of {rank} integers, not {value.ToJsonString()}.");
            return defaultValue ?? Enumerable.Repeat(1, rank).ToArray();
        }
        if (result.Any(r => r < min))
        {
            Error(key, $"'{key}' values must be at least {min}, not {value.ToJsonString()}.");
            return defaultValue ?? Enumerable.Repeat(1, rank).ToArray();
        }
        return result;
    }

    /// <summary>A list of ints (Reshape's target_shape, Permute's dims).</summary>
    public int[]? IntList(string key, bool required = true)
    {
        if (!TryGet(key, out var value))
        {
            if (required) Error(key, $"'{key}' is required.");
            return null;
        }
        if (value is JsonArray array && array.All(a => a is not null && TryInt(a, out _)))
            return array.Select(a => { TryInt(a!, out var n); return n; }).ToArray();
        Error(key, $"'{key}' must be a list of integers, not {value.ToJsonString()}.");
        return null;
    }

    /// <summary>
    /// A Keras key that we accept only at one value, because another value asks for behaviour the
    /// engine does not have. Saying so beats ignoring it.
    /// </summary>
    public void Expect(string key, JsonNode? expected, string why)
    {
        if (!TryGet(key, out var value)) return;
        if (JsonNode.DeepEquals(value, expected)) return;
        if (expected is JsonValue ev && value is JsonValue vv && ev.TryGetValue<double>(out var e) && vv.TryGetValue<double>(out var g) && e == g) return;
        Error(key, $"'{key}' = {value.ToJsonString()} is not supported: {why}");
    }

    /// <summary>Keys Keras emits that carry no meaning here (their value is accepted as is).</summary>
    public void Accept(params string[] keys)
    {
        foreach (var key in keys) read.Add(key);
    }

    /// <summary>Reports every key no reader asked for.</summary>
    public void Finish(IEnumerable<string>? knownKeys = null)
    {
        var unknown = json.Select(p => p.Key).Where(k => !read.Contains(k)).ToList();
        if (unknown.Count == 0) return;
        var known = (knownKeys ?? read).Where(k => !unknown.Contains(k)).OrderBy(k => k, StringComparer.Ordinal);
        foreach (var key in unknown)
            Error(key, $"Unknown config key '{key}'. Known keys: {string.Join(", ", known)}.");
    }

    static bool TryInt(JsonNode node, out int value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue<int>(out value)) return true;
        // 3.0 is an integer in JSON written by Python; 3.5 is not.
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }
}
