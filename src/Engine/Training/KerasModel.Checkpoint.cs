using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Checkpoints;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Training;

public sealed partial class KerasModel
{
    const string Format = "trainservice.checkpoint";
    const int FormatVersion = 1;

    /// <summary>
    /// Writes a checkpoint (docs/checkpoint-format.md): the graph, compile settings, weights in
    /// Keras's layout, optimizer state, epochs done, history, seed and callback states. Written to
    /// a temporary file and moved into place, so a crash never leaves half a checkpoint.
    /// </summary>
    public void SaveCheckpoint(string path, bool includeOptimizer = true)
    {
        var temporary = path + ".tmp";
        using (var file = File.Create(temporary))
            SaveCheckpoint(file, includeOptimizer);
        File.Move(temporary, path, overwrite: true);
    }

    public void SaveCheckpoint(Stream stream, bool includeOptimizer = true)
    {
        var callbackTensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var callbackStates = new JsonArray();
        for (int i = 0; i < activeCallbacks.Count; i++)
        {
            var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var state = activeCallbacks[i].SaveState(tensors);
            callbackStates.Add(new JsonObject { ["type"] = activeCallbacks[i].Type, ["state"] = state });
            foreach (var (key, tensor) in tensors) callbackTensors[$"callbacks/{i}/{key}"] = tensor;
        }
        var manifest = new JsonObject
        {
            ["format"] = Format,
            ["version"] = FormatVersion,
            ["epoch"] = CompletedEpochs,
            ["seed"] = Seed,
            ["graph"] = Graph.Spec.ToJson(),
            ["compile"] = Plan?.Options.ToJson(),
            ["optimizer"] = includeOptimizer && Optimizer is { } optimizer ? new JsonObject
            {
                ["config"] = optimizer.Spec.ToJson(),
                ["iterations"] = optimizer.Iterations,
                ["learning_rate"] = optimizer.LearningRate,
                ["slots"] = new JsonArray(optimizer.SlotNames.Select(s => (JsonNode)s).ToArray()),
            } : null,
            ["history"] = RunHistory.ToJson(),
            ["callbacks"] = callbackStates,
            ["weights"] = new JsonArray(weights.Select(w => (JsonNode)new JsonObject
            {
                ["key"] = w.Key,
                ["shape"] = new JsonArray(w.Weight.Shape.Select(d => (JsonNode)d).ToArray()),
                ["trainable"] = w.Weight.Trainable,
            }).ToArray()),
        };

        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var entry = zip.CreateEntry("checkpoint.json", CompressionLevel.Optimal).Open())
            JsonSerializer.Serialize(entry, manifest, new JsonSerializerOptions { WriteIndented = true });
        var values = GetWeights();
        try
        {
            // Weights rarely compress; storing them keeps saving and loading at disk speed.
            using (var entry = zip.CreateEntry("weights.safetensors", CompressionLevel.NoCompression).Open())
                SafeTensors.Write(entry, values, new Dictionary<string, string> { ["layout"] = "keras" });
        }
        finally
        {
            foreach (var tensor in values.Values) tensor.Dispose();
        }
        if (includeOptimizer && Optimizer is not null)
            using (var entry = zip.CreateEntry("optimizer.safetensors", CompressionLevel.NoCompression).Open())
                SafeTensors.Write(entry, Optimizer.SlotTensors().Select(s => KeyValuePair.Create(s.Key, s.Value)), new Dictionary<string, string> { ["layout"] = "torch" });
        if (callbackTensors.Count > 0)
            using (var entry = zip.CreateEntry("callbacks.safetensors", CompressionLevel.NoCompression).Open())
                SafeTensors.Write(entry, callbackTensors);
    }

    /// <summary>
    /// Rebuilds a model from a checkpoint on the device: weights, compile settings and optimizer
    /// state, epochs done and history. Fit with initial_epoch set to <see cref="CompletedEpochs"/>
    /// (and the same fit settings and data) continues the run exactly where it stopped.
    /// </summary>
    public static KerasModel LoadCheckpoint(string path, string device = "auto")
    {
        using var file = File.OpenRead(path);
        return LoadCheckpoint(file, device);
    }

    public static KerasModel LoadCheckpoint(Stream stream, string device = "auto")
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        JsonObject manifest;
        using (var entry = Open(zip, "checkpoint.json"))
            manifest = JsonNode.Parse(entry)?.AsObject() ?? throw new InvalidDataException("checkpoint.json is empty.");
        if (manifest["format"]?.GetValue<string>() != Format || manifest["version"]?.GetValue<int>() != FormatVersion)
            throw new InvalidDataException($"Not a {Format} version {FormatVersion} file.");

        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(manifest["graph"], diagnostics, "/graph")
            ?? throw new GraphValidationException(diagnostics.Errors.ToList());
        var model = Create(graph, device, manifest["seed"]!.GetValue<long>());
        try
        {
            model.Restore(zip, manifest);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    void Restore(ZipArchive zip, JsonObject manifest)
    {
        var values = ReadTensors(zip, "weights.safetensors")!;
        try
        {
            SetWeights(values);
        }
        finally
        {
            foreach (var tensor in values.Values) tensor.Dispose();
        }
        if (manifest["compile"] is JsonObject compile)
        {
            Compile(CompileOptions.Parse(compile, new DiagnosticBag(), "/compile")
                ?? throw new InvalidDataException("The checkpoint's compile settings do not parse."));
            if (manifest["optimizer"] is JsonObject optimizerState)
                RestoreOptimizer(zip, optimizerState);
        }
        CompletedEpochs = manifest["epoch"]!.GetValue<int>();
        RunHistory = History.FromJson(manifest["history"]!.AsObject());
        pendingStatesEpoch = CompletedEpochs;
        pendingCallbackStates = manifest["callbacks"]!.AsArray()
            .Select(c => (c!["type"]!.GetValue<string>(), c["state"] as JsonObject ?? []))
            .ToList();
        pendingCallbackTensors = ReadTensors(zip, "callbacks.safetensors") ?? [];
    }

    void RestoreOptimizer(ZipArchive zip, JsonObject state)
    {
        var optimizer = Optimizer!;
        optimizer.Iterations = state["iterations"]!.GetValue<long>();
        optimizer.LearningRate = state["learning_rate"]!.GetValue<double>();
        var slots = ReadTensors(zip, "optimizer.safetensors") ?? throw new InvalidDataException("optimizer.safetensors is missing.");
        try
        {
            using var _ = no_grad();
            foreach (var (key, slot) in optimizer.SlotTensors())
            {
                if (!slots.TryGetValue(key, out var saved) || !saved.shape.SequenceEqual(slot.shape))
                    throw new InvalidDataException($"The checkpoint has no optimizer slot '{key}' of shape ({string.Join(", ", slot.shape)}).");
                slot.copy_(saved);
            }
        }
        finally
        {
            foreach (var tensor in slots.Values) tensor.Dispose();
        }
    }

    static Stream Open(ZipArchive zip, string name) =>
        (zip.GetEntry(name) ?? throw new InvalidDataException($"The checkpoint has no {name}.")).Open();

    static Dictionary<string, Tensor>? ReadTensors(ZipArchive zip, string name)
    {
        var entry = zip.GetEntry(name);
        if (entry is null) return null;
        using var stream = entry.Open();
        return SafeTensors.Read(stream, out _);
    }
}
