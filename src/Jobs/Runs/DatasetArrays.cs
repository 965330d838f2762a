using TrainService.Engine.Datasets;
using TrainService.Engine.Training.Data;
using TrainService.Jobs.Data;
using TrainService.Jobs.Storage;
using static TorchSharp.torch;

namespace TrainService.Jobs.Runs;

/// <summary>A dataset's arrays loaded from its blob as CPU tensors, disposed together.</summary>
public sealed class DatasetArrays : IDisposable
{
    readonly Dictionary<string, Tensor> tensors;

    DatasetArrays(Dictionary<string, Tensor> tensors) => this.tensors = tensors;

    public Tensor this[string name] => tensors[name];

    public static DatasetArrays Load(BlobStore blobs, DatasetRecord dataset, IReadOnlyCollection<string> names)
    {
        var format = Enum.Parse<DatasetFormat>(dataset.Format, ignoreCase: true);
        using var file = blobs.OpenRead(dataset.Sha256);
        var arrays = DatasetFile.Read(file, format, DatasetFile.NpyArrayName(dataset.FileName), names);
        return new DatasetArrays(arrays.ToDictionary(a => a.Key, a => a.Value.ToTensor()));
    }

    /// <summary>Fit or evaluate data by name: graph input → array, output → array.</summary>
    public FitData FitData(IReadOnlyDictionary<string, string> inputs, IReadOnlyDictionary<string, string> targets) => new(
        NamedArrays.Named(inputs.Select(kv => KeyValuePair.Create(kv.Key, tensors[kv.Value]))),
        NamedArrays.Named(targets.Select(kv => KeyValuePair.Create(kv.Key, tensors[kv.Value]))));

    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }
}
