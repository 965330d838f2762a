using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using TrainService.Api.Infrastructure;
using TrainService.Engine.Datasets;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;
using TrainService.Jobs.Storage;

namespace TrainService.Api.Datasets;

/// <summary>
/// POST   /api/datasets       upload a .npz, .npy or .csv file (multipart: file, name)
/// GET    /api/datasets       list datasets, newest first
/// GET    /api/datasets/{id}  one dataset and its arrays
/// DELETE /api/datasets/{id}  delete it (409 while an active run uses it)
/// </summary>
public static class DatasetsApi
{
    const int MaxNameLength = 256;

    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/datasets").WithTags("Datasets");
        api.MapPost("/", Upload)
            .WithName("UploadDataset")
            .WithSummary("Upload a dataset")
            .WithDescription("Streams the file to the data folder (never whole in memory), checks every header and byte of data, and stores it under its SHA-256. .npz: several named arrays (stored or deflated members, C or Fortran order, bool/int8-64/uint8/float16-64); .npy: one array named after the file; .csv: a header row, one int64 or float64 array per column.")
            .Accepts<DatasetUploadForm>("multipart/form-data")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/", List).WithName("ListDatasets").WithSummary("List datasets, newest first");
        api.MapGet("/{id:guid}", Get).WithName("GetDataset").WithSummary("A dataset and its arrays").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/{id:guid}", Delete)
            .WithName("DeleteDataset")
            .WithSummary("Delete a dataset no active run uses")
            .WithDescription("Its file is deleted too unless another dataset has the same bytes. 409 while a queued or running run uses it; finished runs keep their records.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    public static async Task<Results<Created<DatasetDetails>, ValidationProblem, ProblemHttpResult>> Upload(
        HttpRequest request, TrainDbContext db, BlobStore blobs, IOptions<StorageOptions> storage, IOptions<LimitsOptions> limits, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Length == 0)
            return Problems.UnsupportedMediaType("Upload a dataset as multipart/form-data with a 'file' part (and optionally 'name').");
        long limit = storage.Value.MaxUploadBytes;
        // The form's own bytes (boundaries, headers, the name) come on top of the file's.
        if (request.ContentLength > limit + (64 << 10)) return Problems.TooLarge(limit);

        await using var upload = new UploadedFile(blobs);
        string? name = null;
        try
        {
            var reader = new MultipartReader(HeaderUtilities.RemoveQuotes(mediaType.Boundary).ToString(), request.Body);
            for (var section = await reader.ReadNextSectionAsync(cancellationToken); section is not null; section = await reader.ReadNextSectionAsync(cancellationToken))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    return Problems.Validation("", "Every part of the form needs a Content-Disposition: form-data header.");
                var field = HeaderUtilities.RemoveQuotes(disposition.Name).ToString();
                switch (field)
                {
                    case "file" when upload.Temp is not null:
                        return Problems.Validation("/file", "Upload one file per dataset.");
                    case "file":
                        var fileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).ToString());
                        if (DatasetFile.FormatOf(fileName) is not { } format)
                            return Problems.UnsupportedMediaType($"'{fileName}' is not a dataset file: upload .npz, .npy or .csv.");
                        if (!await upload.ReceiveAsync(section.Body, fileName, format, limit, cancellationToken))
                            return Problems.TooLarge(limit);
                        break;
                    case "name":
                        // Read one character past the limit at most: a huge part is refused, not buffered.
                        var chars = new char[MaxNameLength + 1];
                        int length = await new StreamReader(section.Body).ReadBlockAsync(chars, cancellationToken);
                        name = new string(chars, 0, length).Trim();
                        if (name.Length is 0 || length > MaxNameLength)
                            return Problems.Validation("/name", $"A dataset name has 1 to {MaxNameLength} characters.");
                        break;
                    default:
                        return Problems.Validation("/" + field, $"Unknown form field '{field}': the form has 'file' and 'name'.");
                }
            }
        }
        catch (InvalidDataException e)
        {
            return Problems.Validation("", $"The multipart body is malformed: {e.Message}");
        }
        if (upload.Temp is null) return Problems.Validation("/file", "The form needs a 'file' part: the dataset file.");

        IReadOnlyList<ArrayInfo> arrays;
        try
        {
            await using var stream = File.OpenRead(upload.Temp.Path);
            arrays = DatasetFile.Inspect(stream, upload.Format, DatasetFile.NpyArrayName(upload.FileName));
        }
        catch (DatasetFormatException e)
        {
            return Problems.Validation("/file", e.Message, "The dataset file cannot be read.");
        }
        var most = limits.Value;
        if (arrays.Count > most.MaxDatasetArrays)
            return Problems.Validation("/file", $"The file holds {arrays.Count} arrays; a dataset may hold {most.MaxDatasetArrays} (TrainService:Limits:MaxDatasetArrays).", "The dataset is too large.");
        long elements = arrays.Sum(a => a.Shape.Aggregate(1L, (product, d) => product * d));
        if (elements > most.MaxDatasetElements)
            return Problems.Validation("/file", $"The file holds {elements:N0} values; a dataset may hold {most.MaxDatasetElements:N0} (TrainService:Limits:MaxDatasetElements).", "The dataset is too large.");

        var record = new DatasetRecord
        {
            Id = Guid.CreateVersion7(),
            Name = name ?? upload.FileName,
            FileName = upload.FileName,
            Format = upload.Format.ToString().ToLowerInvariant(),
            Sha256 = upload.Temp.Sha256!,
            SizeBytes = upload.Temp.Size,
            Arrays = DatasetMapping.SerializeArrays(arrays),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        bool blobExisted = blobs.Exists(record.Sha256);
        await upload.Temp.CommitAsync(cancellationToken);
        try
        {
            db.Datasets.Add(record);
            await db.SaveChangesAsync(cancellationToken);
        }
        catch when (!blobExisted)
        {
            blobs.Delete(record.Sha256);
            throw;
        }
        return TypedResults.Created($"/api/datasets/{record.Id}", record.AsDetails());
    }

    public static async Task<Ok<List<DatasetDetails>>> List(TrainDbContext db, CancellationToken cancellationToken)
    {
        var datasets = await db.Datasets.AsNoTracking().OrderByDescending(d => d.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(datasets.Select(d => d.AsDetails()).ToList());
    }

    public static async Task<Results<Ok<DatasetDetails>, ProblemHttpResult>> Get(Guid id, TrainDbContext db, CancellationToken cancellationToken)
    {
        var dataset = await db.Datasets.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        return dataset is null ? Problems.NotFound("dataset", id) : TypedResults.Ok(dataset.AsDetails());
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var dataset = await db.Datasets.FirstOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (dataset is null) return Problems.NotFound("dataset", id);
        var active = await db.Runs.Where(r => r.DatasetId == id && (r.Status == RunStatus.Queued || r.Status == RunStatus.Running))
            .Select(r => r.Id).ToListAsync(cancellationToken);
        if (active.Count > 0)
            return Problems.Conflict("The dataset is in use.", $"Active runs use it: {string.Join(", ", active)}. Cancel them or wait until they finish.");
        db.Datasets.Remove(dataset);
        await db.SaveChangesAsync(cancellationToken);
        if (!await db.Datasets.AnyAsync(d => d.Sha256 == dataset.Sha256, cancellationToken))
            blobs.Delete(dataset.Sha256);
        return TypedResults.NoContent();
    }

    /// <summary>The file part of an upload, streamed to a temp blob; deleted on dispose unless committed.</summary>
    sealed class UploadedFile(BlobStore blobs) : IAsyncDisposable
    {
        public TempBlob? Temp { get; private set; }

        public string FileName { get; private set; } = "";

        public DatasetFormat Format { get; private set; }

        /// <summary>Copies the part to disk; false as soon as it passes <paramref name="limit"/> bytes.</summary>
        public async Task<bool> ReceiveAsync(Stream body, string fileName, DatasetFormat format, long limit, CancellationToken cancellationToken)
        {
            FileName = fileName;
            Format = format;
            Temp = blobs.CreateTemp();
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                if (Temp.Size + read > limit) return false;
                await Temp.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
            await Temp.CloseAsync();
            return true;
        }

        public ValueTask DisposeAsync() => Temp?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
