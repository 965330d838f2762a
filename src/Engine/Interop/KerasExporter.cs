using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>The names inside a Keras 3 .keras archive (keras/src/saving/saving_lib.py).</summary>
public static class KerasArchive
{
    public const string ConfigEntry = "config.json";
    public const string MetadataEntry = "metadata.json";
    public const string WeightsEntry = "model.weights.h5";
}

/// <summary>
/// Writes a model with its weights in Keras's formats: a TensorFlow.js layers-model (model.json and
/// one weight shard, zipped) that tf.loadLayersModel loads, or a Keras 3 .keras archive that
/// keras.saving.load_model loads. The weights are keyed "layer/weight" in Keras's layout, as
/// <see cref="ModelWeights.Read"/> and checkpoints give them.
/// </summary>
public static class KerasExporter
{
    public const string TfjsShardName = "group1-shard1of1.bin";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>model.json of a TensorFlow.js layers-model, and its shard.</summary>
    public static (JsonObject ModelJson, byte[] Shard) ToTfjs(ModelGraph graph, IReadOnlyDictionary<string, WeightArray> weights)
    {
        var topology = KerasConfigWriter.Write(graph, KerasDialect.TensorFlowJs);
        var (manifest, shard) = TfjsWeights.Write(KerasWeightLayout.Of(graph), weights, TfjsShardName);
        var modelJson = new JsonObject
        {
            ["format"] = "layers-model",
            ["generatedBy"] = "TrainService",
            ["convertedBy"] = null,
            ["modelTopology"] = topology,
            ["weightsManifest"] = manifest,
        };
        return (modelJson, shard);
    }

    /// <summary>A zip holding model.json and its shard, side by side as tf.loadLayersModel expects them.</summary>
    public static void WriteTfjsZip(Stream stream, ModelGraph graph, IReadOnlyDictionary<string, WeightArray> weights)
    {
        var (modelJson, shard) = ToTfjs(graph, weights);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var entry = zip.CreateEntry("model.json", CompressionLevel.Optimal).Open())
            JsonSerializer.Serialize(entry, modelJson, Indented);
        using (var entry = zip.CreateEntry(TfjsShardName, CompressionLevel.NoCompression).Open())
            entry.Write(shard);
    }

    /// <summary>A Keras 3 .keras archive: config.json, metadata.json and model.weights.h5.</summary>
    public static void WriteKerasArchive(Stream stream, ModelGraph graph, IReadOnlyDictionary<string, WeightArray> weights)
    {
        var config = KerasConfigWriter.Write(graph, KerasDialect.Keras3);
        var weightsFile = KerasH5.WriteKeras3Weights(KerasWeightLayout.Of(graph), weights);
        var metadata = new JsonObject
        {
            // The Keras release whose .keras layout this follows; load_model reads only config.json and the weights.
            ["keras_version"] = "3.5.0",
            ["date_saved"] = DateTime.UtcNow.ToString("yyyy-MM-dd@HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            ["exported_by"] = "TrainService",
        };
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var entry = zip.CreateEntry(KerasArchive.MetadataEntry).Open())
            JsonSerializer.Serialize(entry, metadata);
        using (var entry = zip.CreateEntry(KerasArchive.ConfigEntry).Open())
            JsonSerializer.Serialize(entry, config);
        using (var entry = zip.CreateEntry(KerasArchive.WeightsEntry, CompressionLevel.NoCompression).Open())
            entry.Write(weightsFile);
    }
}
