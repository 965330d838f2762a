using System.Globalization;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Callbacks;

namespace TrainService.Engine.Training.Fit;

/// <summary>
/// model.fit's settings in Keras's words and defaults: epochs, batch_size (32), shuffle (on),
/// validation_split (taken from the end, before shuffling), class_weight, initial_epoch, seed,
/// callbacks. Arrays (x, y, sample weights, validation data) travel separately in <see cref="Data.FitData"/>.
/// </summary>
public sealed record FitOptions
{
    public int Epochs { get; init; } = 1;

    public int BatchSize { get; init; } = 32;

    public bool Shuffle { get; init; } = true;

    /// <summary>The fraction of samples, taken from the end before shuffling, that validates instead of training.</summary>
    public double ValidationSplit { get; init; }

    /// <summary>Batch size for validation; Keras's default is batch_size.</summary>
    public int? ValidationBatchSize { get; init; }

    /// <summary>The epoch to start at (0-based): a run resumed from a checkpoint passes the checkpoint's epoch.</summary>
    public int InitialEpoch { get; init; }

    /// <summary>Seeds shuffling and dropout; null uses the model's seed. Same seed and data give the same run on CPU.</summary>
    public long? Seed { get; init; }

    /// <summary>
    /// Keras's class_weight: class id to weight, for the outputs named (a single-output model's
    /// settings are stored under its output's name).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<long, double>>? ClassWeight { get; init; }

    /// <summary>Written with the output's name by the parser when the request gives a flat class_weight.</summary>
    internal bool ClassWeightIsFlat { get; init; }

    public IReadOnlyList<Callback> Callbacks { get; init; } = [];

    /// <summary>How often batch progress reaches the observer at most (the last batch of an epoch always does).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The request as received.</summary>
    public JsonObject? Json { get; init; }

    /// <summary>Where in the request these settings were (for errors found later, against data and model).</summary>
    public string Pointer { get; init; } = "";

    static readonly string[] Keys =
        ["epochs", "batch_size", "shuffle", "validation_split", "validation_batch_size", "initial_epoch", "seed", "class_weight", "callbacks", "verbose"];

    public static FitOptions Parse(string json, string? checkpointDirectory = null)
    {
        var diagnostics = new DiagnosticBag();
        return Parse(Compile.RequestJson.Parse(json, "fit settings"), diagnostics, "", checkpointDirectory)
            ?? throw new GraphValidationException(diagnostics.Errors.ToList());
    }

    /// <param name="checkpointDirectory">The run's directory for ModelCheckpoint files; null refuses ModelCheckpoint.</param>
    public static FitOptions? Parse(JsonNode? json, DiagnosticBag diagnostics, string pointer = "", string? checkpointDirectory = null)
    {
        if (json is not JsonObject root)
        {
            diagnostics.Error(pointer, "Fit settings are an object: {\"epochs\", \"batch_size\", ...}.");
            return null;
        }
        int errors = diagnostics.ErrorCount;
        foreach (var (key, _) in root)
            if (!Keys.Contains(key))
                diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown fit setting '{key}'. Known: {string.Join(", ", Keys)}.");

        var reader = new Layers.Config.LayerConfig(root, pointer, "", new DiagnosticBag());
        var scratch = reader.Diagnostics;
        var options = new FitOptions
        {
            Epochs = reader.Int("epochs", 1, min: 1, max: 1_000_000),
            BatchSize = reader.Int("batch_size", 32, min: 1),
            Shuffle = reader.Bool("shuffle", true),
            ValidationSplit = reader.Double("validation_split", 0, min: 0, max: 1),
            ValidationBatchSize = reader.OptionalInt("validation_batch_size", min: 1),
            InitialEpoch = reader.Int("initial_epoch", 0, min: 0),
            Json = (JsonObject)root.DeepClone(),
            Pointer = pointer,
        };
        if (options.ValidationSplit >= 1) reader.Error("validation_split", "validation_split is a fraction below 1.");
        if (root["seed"] is JsonNode seedNode)
        {
            if (seedNode is JsonValue v && v.TryGetValue<long>(out var seed)) options = options with { Seed = seed };
            else reader.Error("seed", $"seed must be an integer, not {seedNode.ToJsonString()}.");
        }
        diagnostics.AddRange(scratch.All.Select(d => d with { Node = null }));
        if (options.InitialEpoch >= options.Epochs && root.ContainsKey("initial_epoch"))
            diagnostics.Error(JsonPointer.Append(pointer, "initial_epoch"), $"initial_epoch {options.InitialEpoch} leaves no epoch to train: epochs is {options.Epochs} (the epoch count to end at, as in Keras).");

        if (root["class_weight"] is JsonNode classWeight)
            options = ReadClassWeight(classWeight, JsonPointer.Append(pointer, "class_weight"), diagnostics, options);

        if (root["callbacks"] is JsonNode callbacksNode)
        {
            var callbacksPointer = JsonPointer.Append(pointer, "callbacks");
            if (callbacksNode is not JsonArray array)
                diagnostics.Error(callbacksPointer, "callbacks is a list of {\"type\": ..., settings}.");
            else
                options = options with
                {
                    Callbacks = array.Select((c, i) => CallbackCatalog.Parse(c, JsonPointer.Append(callbacksPointer, i), diagnostics, checkpointDirectory))
                        .OfType<Callback>().ToList(),
                };
        }
        return diagnostics.ErrorCount > errors ? null : options;
    }

    /// <summary>{"0": 1.0, "1": 5.0} for a single-output model, or {"gender": {"0": 1, "1": 5}} by output name (Keras 2's form).</summary>
    static FitOptions ReadClassWeight(JsonNode node, string pointer, DiagnosticBag diagnostics, FitOptions options)
    {
        if (node is not JsonObject obj || obj.Count == 0)
        {
            diagnostics.Error(pointer, "class_weight maps class ids to weights, {\"0\": 1.0, \"1\": 5.0}, or output names to such maps.");
            return options;
        }
        bool flat = obj.All(kv => long.TryParse(kv.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));
        if (flat)
            return options with { ClassWeight = new Dictionary<string, IReadOnlyDictionary<long, double>> { [""] = ReadWeights(obj, pointer, diagnostics) }, ClassWeightIsFlat = true };
        var byOutput = new Dictionary<string, IReadOnlyDictionary<long, double>>(StringComparer.Ordinal);
        foreach (var (output, weights) in obj)
        {
            var outputPointer = JsonPointer.Append(pointer, output);
            if (weights is JsonObject inner) byOutput[output] = ReadWeights(inner, outputPointer, diagnostics);
            else diagnostics.Error(outputPointer, "The class weights of an output map class ids to weights, {\"0\": 1.0, \"1\": 5.0}.");
        }
        return options with { ClassWeight = byOutput };
    }

    static Dictionary<long, double> ReadWeights(JsonObject obj, string pointer, DiagnosticBag diagnostics)
    {
        var result = new Dictionary<long, double>();
        foreach (var (key, value) in obj)
        {
            var keyPointer = JsonPointer.Append(pointer, key);
            if (!long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                diagnostics.Error(keyPointer, $"'{key}' is not a class id (a whole number of at least 0).");
            else if (value is not JsonValue v || !v.TryGetValue<double>(out var weight) || !double.IsFinite(weight) || weight < 0)
                diagnostics.Error(keyPointer, $"A class weight is a number of at least 0, not {value?.ToJsonString() ?? "null"}.");
            else result[id] = weight;
        }
        return result;
    }
}
