using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;
using TrainService.Engine.Training.Optimizers;

namespace TrainService.Engine.Training.Compile;

/// <summary>
/// model.compile's arguments in Keras's own words: optimizer, loss (one, a list in output order or
/// a dict by output name), loss_weights (list or dict), metrics and weighted_metrics (a list for
/// every output, a list of lists, or a dict). Parse from JSON with <see cref="Parse(JsonNode?, DiagnosticBag, string)"/>;
/// which outputs they name is checked against a graph by <see cref="TrainingPlan.Resolve"/>.
/// </summary>
public sealed record CompileOptions
{
    public required OptimizerSpec Optimizer { get; init; }

    public required PerOutput<Loss?> Loss { get; init; }

    public PerOutput<double>? LossWeights { get; init; }

    /// <summary>Metrics computed without sample weights (Keras's metrics argument).</summary>
    public PerOutput<IReadOnlyList<MetricSpec>>? Metrics { get; init; }

    /// <summary>Metrics weighted by sample_weight and class_weight.</summary>
    public PerOutput<IReadOnlyList<MetricSpec>>? WeightedMetrics { get; init; }

    /// <summary>The request as received, kept for checkpoints (a resumed run compiles from it again).</summary>
    public JsonObject? Json { get; init; }

    /// <summary>The settings in the request's words: as received when parsed, else rebuilt from the values.</summary>
    public JsonObject ToJson()
    {
        if (Json is not null) return (JsonObject)Json.DeepClone();
        var json = new JsonObject { ["optimizer"] = Optimizer.ToJson(), ["loss"] = Write(Loss, l => l?.ToJson()) };
        if (LossWeights is not null) json["loss_weights"] = Write(LossWeights, w => JsonValue.Create(w));
        if (Metrics is not null) json["metrics"] = WriteMetrics(Metrics);
        if (WeightedMetrics is not null) json["weighted_metrics"] = WriteMetrics(WeightedMetrics);
        return json;
    }

    static JsonNode? WriteMetrics(PerOutput<IReadOnlyList<MetricSpec>> metrics) =>
        Write(metrics, list => new JsonArray(list.Select(m => m.Source?.DeepClone() ?? JsonValue.Create(m.Name)).ToArray()));

    static JsonNode? Write<T>(PerOutput<T> values, Func<T, JsonNode?> write) => values.Form switch
    {
        PerOutputForm.All => write(values.Entries[0].Value),
        PerOutputForm.List => new JsonArray(values.Entries.Select(e => write(e.Value)).ToArray()),
        _ => new JsonObject(values.Entries.Select(e => KeyValuePair.Create(e.Key!, write(e.Value)))),
    };

    static readonly string[] Keys = ["optimizer", "loss", "loss_weights", "metrics", "weighted_metrics"];

    /// <summary>Parses compile settings, throwing <see cref="GraphValidationException"/> with every problem.</summary>
    public static CompileOptions Parse(string json)
    {
        var diagnostics = new DiagnosticBag();
        return Parse(RequestJson.Parse(json, "compile settings"), diagnostics) ?? throw new GraphValidationException(diagnostics.Errors.ToList());
    }

    /// <summary>Parses compile settings; null with the reasons in <paramref name="diagnostics"/>.</summary>
    public static CompileOptions? Parse(JsonNode? json, DiagnosticBag diagnostics, string pointer = "")
    {
        if (json is not JsonObject root)
        {
            diagnostics.Error(pointer, "Compile settings are an object: {\"optimizer\", \"loss\", \"loss_weights\", \"metrics\"}.");
            return null;
        }
        int errors = diagnostics.ErrorCount;
        foreach (var (key, _) in root)
            if (!Keys.Contains(key))
                diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown compile setting '{key}'. Known: {string.Join(", ", Keys)}.");

        var optimizerPointer = JsonPointer.Append(pointer, "optimizer");
        // Keras's compile defaults to rmsprop.
        var optimizer = root.ContainsKey("optimizer")
            ? OptimizerCatalog.Parse(root["optimizer"], optimizerPointer, diagnostics)
            : new RmsPropSpec();

        var lossPointer = JsonPointer.Append(pointer, "loss");
        PerOutput<Loss?>? loss = null;
        if (root["loss"] is null)
            diagnostics.Error(lossPointer, "compile needs a loss: a name (\"mse\"), a list in output order, or a dict by output name.");
        else
            loss = ReadPerOutput(root["loss"]!, lossPointer, diagnostics, "loss", isScalar: n => n is JsonValue || (n is JsonObject o && (o.ContainsKey("type") || o.ContainsKey("class_name"))),
                (n, p) => n is null ? null : LossCatalog.Parse(n, p, diagnostics), allowNull: true);

        PerOutput<double>? lossWeights = null;
        if (root["loss_weights"] is JsonNode weights)
            lossWeights = ReadPerOutput(weights, JsonPointer.Append(pointer, "loss_weights"), diagnostics, "loss weight", isScalar: n => n is JsonValue,
                (n, p) => ReadWeight(n, p, diagnostics));

        var metrics = ReadMetrics(root["metrics"], JsonPointer.Append(pointer, "metrics"), diagnostics);
        var weightedMetrics = ReadMetrics(root["weighted_metrics"], JsonPointer.Append(pointer, "weighted_metrics"), diagnostics);

        if (diagnostics.ErrorCount > errors || optimizer is null || loss is null) return null;
        return new CompileOptions
        {
            Optimizer = optimizer,
            Loss = loss,
            LossWeights = lossWeights,
            Metrics = metrics,
            WeightedMetrics = weightedMetrics,
            Json = (JsonObject)root.DeepClone(),
        };
    }

    static double ReadWeight(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        if (node is JsonValue v && v.TryGetValue<double>(out var w) && double.IsFinite(w) && w >= 0) return w;
        diagnostics.Error(pointer, $"A loss weight is a number of at least 0, not {node?.ToJsonString() ?? "null"}.");
        return 1;
    }

    /// <summary>
    /// metrics: a flat list applies to every output (tf.keras's broadcast), a list of lists gives
    /// each output its own in output order, a dict gives them by output name (a name or a list each).
    /// </summary>
    static PerOutput<IReadOnlyList<MetricSpec>>? ReadMetrics(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonArray array when array.Count > 0 && array.All(e => e is JsonArray || e is null):
                return PerOutput<IReadOnlyList<MetricSpec>>.List(array.Select((e, i) => ReadMetricList(e, JsonPointer.Append(pointer, i), diagnostics)), pointer);
            case JsonArray array when array.Any(e => e is JsonArray):
                diagnostics.Error(pointer, "metrics is either a list of metrics for every output, or a list with one list of metrics per output; this one mixes both.");
                return null;
            case JsonArray:
                return PerOutput<IReadOnlyList<MetricSpec>>.All(ReadMetricList(node, pointer, diagnostics), pointer);
            case JsonObject obj when !obj.ContainsKey("type") && !obj.ContainsKey("class_name"):
                return PerOutput<IReadOnlyList<MetricSpec>>.Dict(obj.Select(kv => KeyValuePair.Create(kv.Key, ReadMetricList(kv.Value, JsonPointer.Append(pointer, kv.Key), diagnostics))), pointer);
            default:
                diagnostics.Error(pointer, "metrics is a list (\"metrics\": [\"acc\"]), a list of lists (one per output) or a dict by output name.");
                return null;
        }
    }

    static IReadOnlyList<MetricSpec> ReadMetricList(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        if (node is null) return [];
        if (node is not JsonArray array) return MetricCatalog.Parse(node, pointer, diagnostics) is { } one ? [one] : [];
        var list = new List<MetricSpec>();
        for (int i = 0; i < array.Count; i++)
            if (array[i] is not null && MetricCatalog.Parse(array[i], JsonPointer.Append(pointer, i), diagnostics) is { } metric)
                list.Add(metric);
        return list;
    }

    static PerOutput<T>? ReadPerOutput<T>(JsonNode node, string pointer, DiagnosticBag diagnostics, string what,
        Func<JsonNode, bool> isScalar, Func<JsonNode?, string, T> read, bool allowNull = false)
    {
        switch (node)
        {
            case JsonArray array:
                {
                    var values = new List<T>();
                    for (int i = 0; i < array.Count; i++)
                    {
                        var itemPointer = JsonPointer.Append(pointer, i);
                        if (array[i] is null && !allowNull) diagnostics.Error(itemPointer, $"A {what} cannot be null.");
                        values.Add(read(array[i], itemPointer));
                    }
                    return PerOutput<T>.List(values, pointer);
                }
            case JsonObject obj when !isScalar(obj):
                return PerOutput<T>.Dict(obj.Select(kv => KeyValuePair.Create(kv.Key, read(kv.Value, JsonPointer.Append(pointer, kv.Key)))).ToList(), pointer);
            default:
                return PerOutput<T>.All(read(node, pointer), pointer);
        }
    }
}
