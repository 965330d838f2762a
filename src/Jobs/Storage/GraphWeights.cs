using TrainService.Engine.Interop;
using TrainService.Engine.Training.Checkpoints;

namespace TrainService.Jobs.Storage;

/// <summary>
/// A graph's initial weights (those of an imported Keras model): one safetensors file per graph,
/// graphs/&lt;id&gt;.safetensors in the data folder, keyed "layer/weight" in Keras's layout like a
/// checkpoint's weights. Written once, when the graph is stored.
/// </summary>
public static class GraphWeights
{
    static string PathOf(BlobStore blobs, Guid graphId) => Path.Combine(blobs.Root, "graphs", graphId.ToString("N") + ".safetensors");

    public static bool Exist(BlobStore blobs, Guid graphId) => File.Exists(PathOf(blobs, graphId));

    public static void Write(BlobStore blobs, Guid graphId, IReadOnlyDictionary<string, WeightArray> weights)
    {
        var path = PathOf(blobs, graphId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tensors = weights.Select(w => KeyValuePair.Create(w.Key, w.Value.ToTensor())).ToList();
        try
        {
            using var file = File.Create(path + ".tmp");
            SafeTensors.Write(file, tensors, new Dictionary<string, string> { ["layout"] = "keras" });
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>The graph's initial weights as tensors (the caller disposes them), or null when it has none.</summary>
    public static Dictionary<string, TorchSharp.torch.Tensor>? Read(BlobStore blobs, Guid graphId)
    {
        var path = PathOf(blobs, graphId);
        if (!File.Exists(path)) return null;
        using var file = File.OpenRead(path);
        return SafeTensors.Read(file, out _);
    }
}
