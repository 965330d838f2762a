using System.Text.Json.Nodes;

namespace TrainService.Engine.Training.Fit;

/// <summary>
/// Keras's History: the epochs trained and, for each log name, its value at each of them
/// (history.history). A name can have fewer values than there are epochs when it was not logged
/// every epoch.
/// </summary>
public sealed class History
{
    public List<int> Epochs { get; } = [];

    public OrderedDictionary<string, List<double>> Values { get; } = new(StringComparer.Ordinal);

    public void Record(int epoch, IEnumerable<KeyValuePair<string, double>> logs)
    {
        Epochs.Add(epoch);
        foreach (var (name, value) in logs)
        {
            if (!Values.TryGetValue(name, out var list)) Values.Add(name, list = []);
            list.Add(value);
        }
    }

    /// <summary>The history up to (not including) <paramref name="epoch"/>: what a run resumed at that epoch continues from.</summary>
    public History Before(int epoch)
    {
        var result = new History();
        for (int i = 0; i < Epochs.Count && Epochs[i] < epoch; i++)
            result.Record(Epochs[i], Values.Where(kv => kv.Value.Count > i).Select(kv => KeyValuePair.Create(kv.Key, kv.Value[i])));
        return result;
    }

    public void Append(History later)
    {
        for (int i = 0; i < later.Epochs.Count; i++)
            Record(later.Epochs[i], later.Values.Where(kv => kv.Value.Count > i).Select(kv => KeyValuePair.Create(kv.Key, kv.Value[i])));
    }

    /// <summary>{"epoch": [...], "history": {"loss": [...], ...}}; non-finite values are written as null.</summary>
    public JsonObject ToJson()
    {
        var history = new JsonObject();
        foreach (var (name, values) in Values)
            history[name] = new JsonArray(values.Select(v => double.IsFinite(v) ? (JsonNode)JsonValue.Create(v) : null).ToArray());
        return new JsonObject
        {
            ["epoch"] = new JsonArray(Epochs.Select(e => (JsonNode)JsonValue.Create(e)).ToArray()),
            ["history"] = history,
        };
    }

    public static History FromJson(JsonObject json)
    {
        var result = new History();
        result.Epochs.AddRange(json["epoch"]!.AsArray().Select(e => e!.GetValue<int>()));
        foreach (var (name, values) in json["history"]!.AsObject())
            result.Values.Add(name, values!.AsArray().Select(v => v is null ? double.NaN : v.GetValue<double>()).ToList());
        return result;
    }
}
