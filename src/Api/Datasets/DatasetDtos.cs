using System.ComponentModel;
using System.Text.Json;
using TrainService.Engine.Datasets;
using TrainService.Jobs.Data;

namespace TrainService.Api.Datasets;

[Description("One array of a dataset: its name, NumPy element type and shape (samples first).")]
public sealed record ArrayDescription(string Name, string Dtype, IReadOnlyList<long> Shape)
{
    public static ArrayDescription Of(ArrayInfo info) => new(info.Name, info.DType.NumpyName(), info.Shape);
}

public sealed record DatasetDetails(
    Guid Id,
    string Name,
    [property: Description("The uploaded file's name.")] string FileName,
    [property: Description("npz, npy or csv.")] string Format,
    [property: Description("SHA-256 of the file, lower-case hex: its address in the data folder.")] string Sha256,
    long SizeBytes,
    IReadOnlyList<ArrayDescription> Arrays,
    DateTime CreatedAt);

/// <summary>The multipart form of an upload, for the OpenAPI document (the handler streams the body itself).</summary>
public sealed class DatasetUploadForm
{
    [Description(".npz (several named arrays), .npy (one array) or .csv (a header row; one array per column).")]
    public required IFormFile File { get; init; }

    [Description("A name for the dataset (default: the file's name).")]
    public string? Name { get; init; }
}

public static class DatasetMapping
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static DatasetDetails AsDetails(this DatasetRecord dataset) =>
        new(dataset.Id, dataset.Name, dataset.FileName, dataset.Format, dataset.Sha256, dataset.SizeBytes, dataset.ArrayDescriptions(), dataset.CreatedAt);

    public static IReadOnlyList<ArrayDescription> ArrayDescriptions(this DatasetRecord dataset) =>
        JsonSerializer.Deserialize<List<ArrayDescription>>(dataset.Arrays, Json)!;

    public static string SerializeArrays(IEnumerable<ArrayInfo> arrays) =>
        JsonSerializer.Serialize(arrays.Select(ArrayDescription.Of).ToList(), Json);
}
