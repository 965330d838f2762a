using System.ComponentModel;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using TrainService.Api.Datasets;
using TrainService.Api.Graphs;
using TrainService.Api.Infrastructure;
using TrainService.Engine.Graph;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Jobs.Runs;
using TrainService.Jobs.Storage;

namespace TrainService.Api.Runs;

/// <summary>POST /api/runs's body, for the OpenAPI document (the handler reads the JSON tree to report every problem by pointer).</summary>
public sealed record RunRequestDocument(
    [property: Description("A stored graph (or give 'graph').")] Guid? GraphId,
    [property: Description("A graph in the wire format, stored with the run (or give 'graphId').")] GraphDocument? Graph,
    Guid DatasetId,
    [property: Description("Graph input name → dataset array name; default: the array named like the input.")] IReadOnlyDictionary<string, string>? Inputs,
    [property: Description("Output name → dataset array name; default: the array named like the output.")] IReadOnlyDictionary<string, string>? Targets,
    [property: Description("Keras's compile arguments: optimizer, loss, loss_weights, metrics.")] JsonObject Compile,
    [property: Description("Keras's fit arguments: epochs, batch_size, validation_split, shuffle, seed, callbacks, ...")] JsonObject? Fit,
    [property: Description("auto (default), cpu or cuda.")] string? Device);

/// <summary>A run request that passed every check: what to store and queue.</summary>
public sealed record AcceptedRun(ModelGraph Graph, GraphRecord? StoredGraph, DatasetRecord Dataset, RunConfig Config, int Epochs, string Device, MemoryEstimate Memory);

/// <summary>Checks a run request against the stored graph and dataset before anything is stored or queued.</summary>
public static class RunRequest
{
    static readonly string[] Keys = ["graphId", "graph", "datasetId", "inputs", "targets", "compile", "fit", "device", "initialWeights"];

    public static async Task<AcceptedRun?> CheckAsync(JsonNode? json, TrainDbContext db, BlobStore blobs, DeviceOptions devices, StorageOptions storage,
        LimitsOptions limits, DiagnosticBag diagnostics, CancellationToken cancellationToken)
    {
        if (JsonBody.Object(json, "", diagnostics) is not { } root) return null;
        foreach (var (key, _) in root)
            if (!Keys.Contains(key)) diagnostics.Error("/" + key, $"Unknown field '{key}'. A run request has {string.Join(", ", Keys)}.");

        var (graph, storedGraph) = await GraphAsync(root, db, limits, diagnostics, cancellationToken);
        var dataset = await DatasetAsync(root, db, diagnostics, cancellationToken);
        var compile = JsonBody.Object(root["compile"], "/compile", diagnostics);
        var fit = JsonBody.Object(root["fit"], "/fit", diagnostics, required: false) ?? [];
        var device = Device(root["device"], devices, diagnostics);
        var initialWeights = InitialWeights(root["initialWeights"], storedGraph, diagnostics);
        // ModelCheckpoint callbacks write under the run's folder; the parser only checks their paths stay inside.
        var settings = compile is null ? null : TrainingSettings.Check(graph, compile, fit, Path.Combine(blobs.Root, "runs"), diagnostics);
        if (settings is not null && settings.Epochs > limits.MaxEpochs)
            diagnostics.Error("/fit/epochs", $"epochs is {settings.Epochs}; this service trains at most {limits.MaxEpochs} (TrainService:Limits:MaxEpochs).");
        if (graph is null || dataset is null || compile is null || settings is null || device is null || diagnostics.HasErrors) return null;

        var arrays = dataset.ArrayDescriptions().ToDictionary(a => a.Name);
        var inputs = Mapping(root["inputs"], "/inputs", graph.Inputs.Select(i => i.Name), "graph input", arrays, diagnostics);
        var targets = Mapping(root["targets"], "/targets", graph.Outputs.Select(o => o.Name), "output", arrays, diagnostics);
        if (inputs is null || targets is null) return null;
        CheckInputArrays(graph, inputs, arrays, diagnostics);
        CheckSampleCounts(inputs, targets, arrays, diagnostics);
        if (diagnostics.HasErrors) return null;

        long elements = inputs.Values.Concat(targets.Values).Distinct().Sum(a => arrays[a].Shape.Aggregate(1L, (p, d) => p * d));
        var memory = MemoryEstimate.Of(graph, compile["optimizer"], settings.BatchSize, elements, device, devices.MemoryOf(device));
        if (!memory.Fits)
            diagnostics.Error("/fit/batch_size", $"The run does not fit on {device}: {memory.Describe()}. Use a smaller batch_size or model, or another device.");
        if (!diagnostics.HasErrors && settings.Plan is not null && dataset.SizeBytes <= storage.MaxCheckedDatasetBytes)
            CheckValues(graph, settings.Plan, blobs, dataset, inputs, targets, diagnostics);
        return diagnostics.HasErrors ? null
            : new AcceptedRun(graph, storedGraph, dataset, new RunConfig(inputs, targets, compile, fit, initialWeights), settings.Epochs, device, memory);
    }

    /// <summary>"graph": start from the stored graph's initial weights (an imported Keras model's); absent or null: Keras's initializers.</summary>
    static string? InitialWeights(JsonNode? node, GraphRecord? storedGraph, DiagnosticBag diagnostics)
    {
        if (node is null) return null;
        if (node is not JsonValue v || !v.TryGetValue<string>(out var text) || text != "graph")
        {
            diagnostics.Error("/initialWeights", $"initialWeights is \"graph\" (the graph's initial weights, as imported) or absent (Keras's initializers), not {node.ToJsonString()}.");
            return null;
        }
        if (storedGraph is null)
            diagnostics.Error("/initialWeights", "initialWeights \"graph\" needs a stored graph (graphId): an inline graph has no initial weights.");
        return text;
    }

    /// <summary>
    /// The training engine's own data check on the arrays themselves (finite values, label ranges,
    /// one-hot widths, target shapes per loss), for datasets small enough to read while the client waits.
    /// </summary>
    static void CheckValues(ModelGraph graph, TrainingPlan plan, BlobStore blobs, DatasetRecord dataset,
        Dictionary<string, string> inputs, Dictionary<string, string> targets, DiagnosticBag diagnostics)
    {
        using var arrays = DatasetArrays.Load(blobs, dataset, inputs.Values.Concat(targets.Values).ToHashSet());
        var found = new DiagnosticBag();
        DataPreparation.Check(graph, plan, arrays.FitData(inputs, targets), found);
        diagnostics.AddRange(found.All.Select(RequestPointers));
    }

    /// <summary>The engine names arrays /x/&lt;input&gt; and /y/&lt;output&gt;; requests call them inputs and targets.</summary>
    public static GraphDiagnostic RequestPointers(GraphDiagnostic diagnostic) => diagnostic with
    {
        Pointer = diagnostic.Pointer.StartsWith("/x", StringComparison.Ordinal) ? "/inputs" + diagnostic.Pointer[2..]
            : diagnostic.Pointer.StartsWith("/y", StringComparison.Ordinal) ? "/targets" + diagnostic.Pointer[2..]
            : diagnostic.Pointer,
    };

    static async Task<(ModelGraph?, GraphRecord?)> GraphAsync(JsonObject root, TrainDbContext db, LimitsOptions limits, DiagnosticBag diagnostics, CancellationToken cancellationToken)
    {
        switch (root["graphId"], root["graph"])
        {
            case (null, null):
                diagnostics.Error("/graphId", "Give graphId (a stored graph) or graph (a graph to store with the run).");
                return (null, null);
            case (not null, not null):
                diagnostics.Error("/graph", "Give graphId or graph, not both.");
                return (null, null);
            case (null, var inline):
                return (GraphsApi.Validate(inline, diagnostics, limits, "/graph"), null);
            case (var idNode, null):
                if (Id(idNode, "/graphId", diagnostics) is not { } id) return (null, null);
                var stored = await db.Graphs.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
                if (stored is null)
                {
                    diagnostics.Error("/graphId", $"No graph {id}.");
                    return (null, null);
                }
                return (GraphBuilder.Build(stored.Spec), stored);
        }
    }

    public static async Task<DatasetRecord?> DatasetAsync(JsonObject root, TrainDbContext db, DiagnosticBag diagnostics, CancellationToken cancellationToken)
    {
        if (root["datasetId"] is null)
        {
            diagnostics.Error("/datasetId", "Required: the dataset to train on (POST /api/datasets).");
            return null;
        }
        if (Id(root["datasetId"], "/datasetId", diagnostics) is not { } id) return null;
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dataset is null) diagnostics.Error("/datasetId", $"No dataset {id}.");
        return dataset;
    }

    static Guid? Id(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        if (node is JsonValue v && v.TryGetValue<string>(out var text) && Guid.TryParse(text, out var id)) return id;
        diagnostics.Error(pointer, "Expected an id (a GUID string).");
        return null;
    }

    static string? Device(JsonNode? node, DeviceOptions devices, DiagnosticBag diagnostics)
    {
        var requested = node is null ? "auto" : node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        switch (requested)
        {
            case "auto": return devices.Default ?? DeviceKinds.Detect();
            case "cpu" or "cuda": return requested;
            default:
                diagnostics.Error("/device", "device is auto, cpu or cuda.");
                return null;
        }
    }

    /// <summary>
    /// A name → array map (inputs or targets), every name of the graph given an array that exists:
    /// as the request says, else as <paramref name="defaults"/> say, else the array of the same name.
    /// </summary>
    public static Dictionary<string, string>? Mapping(JsonNode? node, string pointer, IEnumerable<string> names, string what,
        IReadOnlyDictionary<string, ArrayDescription> arrays, DiagnosticBag diagnostics, IReadOnlyDictionary<string, string>? defaults = null)
    {
        var given = new Dictionary<string, string>();
        if (node is not null)
        {
            if (node is not JsonObject map)
            {
                diagnostics.Error(pointer, $"Expected an object: {{{what} name: array name}}.");
                return null;
            }
            foreach (var (key, value) in map)
            {
                var entry = JsonPointer.Append(pointer, key);
                if (!names.Contains(key)) diagnostics.Error(entry, $"The graph has no {what} '{key}'. It has: {string.Join(", ", names)}.");
                else if (value is JsonValue v && v.TryGetValue<string>(out var array)) given[key] = array;
                else diagnostics.Error(entry, "Expected the name of an array of the dataset.");
            }
        }
        var result = new Dictionary<string, string>();
        foreach (var name in names)
        {
            var array = given.GetValueOrDefault(name) ?? defaults?.GetValueOrDefault(name) ?? name;
            if (arrays.ContainsKey(array)) result[name] = array;
            else
                diagnostics.Error(given.ContainsKey(name) ? JsonPointer.Append(pointer, name) : pointer,
                    $"The dataset has no array '{array}' for {what} '{name}'" + (given.ContainsKey(name) ? "." : $" (map it in {pointer[1..]}).") +
                    $" Its arrays: {string.Join(", ", arrays.Keys)}.");
        }
        return result;
    }

    static void CheckInputArrays(ModelGraph graph, Dictionary<string, string> inputs, IReadOnlyDictionary<string, ArrayDescription> arrays, DiagnosticBag diagnostics)
    {
        foreach (var input in graph.Inputs)
        {
            var array = arrays[inputs[input.Name]];
            var pointer = JsonPointer.Append("/inputs", input.Name);
            var expected = input.Info.Shape;
            bool shapeFits = array.Shape.Count == expected.Rank
                && array.Shape.Skip(1).Zip(expected.SampleDims).All(p => Shape.Compatible((int?)Math.Min(p.First, int.MaxValue), p.Second));
            if (!shapeFits)
                diagnostics.Error(pointer,
                    $"Array '{array.Name}' has shape ({string.Join(", ", array.Shape)}); graph input '{input.Name}' takes {expected} (samples first).");
            bool integerArray = array.Dtype is "bool" or "int8" or "int16" or "int32" or "int64" or "uint8";
            if (input.Spec.DType.IsInteger() && !integerArray)
                diagnostics.Error(pointer, $"Array '{array.Name}' is {array.Dtype}; graph input '{input.Name}' takes integers ({input.Spec.DType.KerasName()}).");
        }
    }

    static void CheckSampleCounts(Dictionary<string, string> inputs, Dictionary<string, string> targets, IReadOnlyDictionary<string, ArrayDescription> arrays, DiagnosticBag diagnostics)
    {
        var used = inputs.Select(kv => ("/inputs", kv.Key, arrays[kv.Value])).Concat(targets.Select(kv => ("/targets", kv.Key, arrays[kv.Value]))).ToList();
        foreach (var (pointer, name, array) in used.Where(u => u.Item3.Shape.Count == 0))
            diagnostics.Error(JsonPointer.Append(pointer, name), $"Array '{array.Name}' is a scalar; training arrays have samples on their first axis.");
        var counts = used.Where(u => u.Item3.Shape.Count > 0).GroupBy(u => u.Item3.Shape[0]).ToList();
        if (counts.Count > 1)
            diagnostics.Error(JsonPointer.Append(counts[1].First().Item1, counts[1].First().Item2),
                "Arrays disagree on the number of samples: " + string.Join(", ", used.Where(u => u.Item3.Shape.Count > 0).Select(u => $"'{u.Item3.Name}' has {u.Item3.Shape[0]}")) + ".");
    }
}
