using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>The formats a Keras model arrives in.</summary>
public enum KerasFileFormat
{
    /// <summary>model.to_json() or get_config(), Keras 2 or 3: architecture only.</summary>
    KerasJson,

    /// <summary>A TensorFlow.js layers-model model.json with its weight shards.</summary>
    TfjsLayersModel,

    /// <summary>A Keras 3 .keras archive: config.json and model.weights.h5.</summary>
    KerasArchive,

    /// <summary>A Keras 2 HDF5 model file: model_config and model_weights.</summary>
    KerasH5,
}

/// <summary>A Keras model as the engine has it: the graph, and the file's weights keyed "layer/weight" when it had any.</summary>
public sealed record ImportedModel(
    KerasFileFormat Format,
    KerasDialect Dialect,
    ModelGraph Graph,
    IReadOnlyDictionary<string, WeightArray>? Weights,
    IReadOnlyList<GraphDiagnostic> Warnings)
{
    public GraphSpec Spec => Graph.Spec;
}

/// <summary>
/// Imports a Keras model from any of the files Keras and TensorFlow.js write (the format is
/// recognised from the bytes): converts its architecture to the graph format, validates it with
/// the engine, and reads its weights into Keras's layout. Every problem is a
/// <see cref="KerasImportException"/> that says where in the file and why; no input crashes it.
/// </summary>
public static class KerasImporter
{
    internal static readonly JsonDocumentOptions JsonOptions = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    /// <param name="model">The model file's bytes (JSON, .keras zip or HDF5).</param>
    /// <param name="weightFiles">TensorFlow.js weight shards by file name, as the manifest names them.</param>
    public static ImportedModel Import(byte[] model, IReadOnlyDictionary<string, byte[]>? weightFiles = null, GraphLimits? limits = null)
    {
        weightFiles ??= new Dictionary<string, byte[]>();
        if (model.Length == 0) throw new KerasImportException("", "The model file is empty.");
        if (KerasH5.IsHdf5(model)) return ImportH5(model, limits);
        if (model.AsSpan().StartsWith("PK"u8)) return ImportArchive(model, limits);
        var json = ParseJson(model, "", "The model file");
        if (json is not JsonObject root)
            throw new KerasImportException("", "The model file is JSON but not a model: expected {\"class_name\", \"config\"} (to_json), {\"modelTopology\", \"weightsManifest\"} (TensorFlow.js) or a .keras/.h5 file.");
        if (root.ContainsKey("modelTopology")) return ImportTfjs(root, weightFiles, limits);
        if (root["model_config"] is JsonObject wrapped)
            return Build(KerasFileFormat.KerasJson, wrapped, "/model_config", KerasDialects.Detect(wrapped, KerasModelConverter.Text(root["keras_version"])), limits, weights: null);
        return Build(KerasFileFormat.KerasJson, root, "", KerasDialects.Detect(root), limits, weights: null);
    }

    static ImportedModel ImportTfjs(JsonObject root, IReadOnlyDictionary<string, byte[]> shards, GraphLimits? limits)
    {
        if (root["modelTopology"] is not JsonObject topology)
            throw new KerasImportException("/modelTopology", "modelTopology must be the model's Keras JSON.");
        var (model, pointer) = topology["model_config"] is JsonObject inner ? (inner, "/modelTopology/model_config") : (topology, "/modelTopology");
        var dialect = KerasDialects.Detect(model, KerasModelConverter.Text(topology["keras_version"]));
        return Build(KerasFileFormat.TfjsLayersModel, model, pointer, dialect, limits, (slots, errors) =>
        {
            if (root["weightsManifest"] is null)
            {
                if (slots.Count > 0) errors.Error("/weightsManifest", "The model.json has no weightsManifest, so its weights are missing.");
                return null;
            }
            var weights = TfjsWeights.Read(root["weightsManifest"], "/weightsManifest", shards, errors);
            return errors.HasErrors ? null : TfjsWeights.Match(slots, weights, "/weightsManifest", errors);
        });
    }

    static ImportedModel ImportArchive(byte[] bytes, GraphLimits? limits)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
        }
        catch (InvalidDataException e)
        {
            throw new KerasImportException("", $"The file starts like a zip (.keras) archive but cannot be read as one: {e.Message}");
        }
        using (zip)
        {
            var config = ReadEntry(zip, KerasArchive.ConfigEntry, required: true)!;
            var json = ParseJson(config, "/" + KerasArchive.ConfigEntry, KerasArchive.ConfigEntry);
            if (json is not JsonObject model)
                throw new KerasImportException("/" + KerasArchive.ConfigEntry, "config.json is not a model object {class_name, config}.");
            var metadata = ReadEntry(zip, KerasArchive.MetadataEntry, required: false);
            var version = metadata is null ? null : KerasModelConverter.Text(TryParse(metadata)?["keras_version"]);
            var weights = ReadEntry(zip, KerasArchive.WeightsEntry, required: false);
            var pointer = "/" + KerasArchive.WeightsEntry;
            return Build(KerasFileFormat.KerasArchive, model, "/" + KerasArchive.ConfigEntry, KerasDialects.Detect(model, version ?? "3"), limits, (slots, errors) =>
            {
                if (weights is null)
                {
                    if (slots.Count > 0) errors.Error(pointer, $"The archive has no {KerasArchive.WeightsEntry}, so its weights are missing.");
                    return null;
                }
                using var file = KerasH5.Open(weights, pointer, KerasArchive.WeightsEntry);
                return KerasH5.ReadKeras3Weights(file, slots, pointer, errors);
            });
        }
    }

    static ImportedModel ImportH5(byte[] bytes, GraphLimits? limits)
    {
        using var file = KerasH5.Open(bytes, "", "The model file");
        var (model, version) = KerasH5.ReadModelConfig(file);
        return Build(KerasFileFormat.KerasH5, model, "/model_config", KerasDialects.Detect(model, version), limits,
            (slots, errors) => KerasH5.ReadLegacyWeights(file, slots, errors));
    }

    /// <summary>Converts, validates (errors mapped back into the file) and reads the weights.</summary>
    static ImportedModel Build(KerasFileFormat format, JsonObject model, string pointer, KerasDialect dialect, GraphLimits? limits,
        Func<IReadOnlyList<WeightSlot>, DiagnosticBag, IReadOnlyDictionary<string, WeightArray>?>? weights)
    {
        var conversion = KerasModelConverter.Convert(model, dialect, pointer);
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.Build(conversion.Graph, diagnostics, "", limits);
        if (graph is null)
            throw new KerasImportException(diagnostics.Errors.Select(conversion.Pointers.ToSource).ToList());
        var warnings = diagnostics.Warnings.Select(conversion.Pointers.ToSource).ToList();
        IReadOnlyDictionary<string, WeightArray>? values = null;
        if (weights is not null)
        {
            var errors = new DiagnosticBag();
            values = weights(KerasWeightLayout.Of(graph), errors);
            if (errors.HasErrors) throw new KerasImportException(errors.Errors.ToList());
        }
        return new ImportedModel(format, dialect, graph, values, warnings);
    }

    static JsonNode? ParseJson(byte[] bytes, string pointer, string what)
    {
        try
        {
            return JsonNode.Parse(bytes, documentOptions: JsonOptions).EnsureText();
        }
        catch (JsonException e)
        {
            throw new KerasImportException(pointer, $"{what} is not valid JSON{(e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "")}: {e.Message.Split(" LineNumber")[0]}");
        }
        catch (Exception e) when (e is DecoderFallbackException or ArgumentException)
        {
            throw new KerasImportException(pointer, $"{what} is neither JSON, a .keras archive nor an HDF5 file: {e.Message}");
        }
    }

    static JsonNode? TryParse(byte[] bytes)
    {
        try
        {
            return JsonNode.Parse(bytes, documentOptions: JsonOptions).EnsureText();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Largest archive member read: a declared size above it (a zip bomb, a damaged directory) is refused before reading.</summary>
    const long MaxEntryBytes = 1L << 30;

    static byte[]? ReadEntry(ZipArchive zip, string name, bool required)
    {
        try
        {
            // The central directory is read on first use: a damaged one throws here.
            var entry = zip.GetEntry(name);
            if (entry is null)
            {
                if (required) throw new KerasImportException("/" + name, $"The archive has no {name}; a .keras archive holds config.json, metadata.json and model.weights.h5.");
                return null;
            }
            if (entry.Length > MaxEntryBytes)
                throw new KerasImportException("/" + name, $"{name} unpacks to {entry.Length:N0} bytes; at most {MaxEntryBytes:N0} are read.");
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int read;
            while ((read = stream.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxEntryBytes)
                    throw new KerasImportException("/" + name, $"{name} unpacks to more than the {MaxEntryBytes:N0} bytes its header declared.");
            }
            return buffer.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new KerasImportException("/" + name, $"{name} in the archive is damaged: {e.Message}");
        }
    }
}
