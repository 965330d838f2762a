using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Api.Infrastructure;
using TrainService.Api.Runs;
using TrainService.Engine.Graph;
using TrainService.Engine.Interop;
using TrainService.Engine.Summary;
using TrainService.Engine.Training;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;
using TrainService.Jobs.Storage;

namespace TrainService.Api.Graphs;

public sealed record GraphImported(Guid Id, string Name, ModelSummary Summary, JsonNode Graph, bool HasWeights);

/// <summary>
/// POST /api/graphs/import          a Keras model (to_json, TensorFlow.js model.json + shards, .keras, .h5) as a stored graph
/// POST /api/graphs/{id}/predict    predictions with the graph's initial weights (imported, or Keras's initializers, seeded)
/// </summary>
public static class GraphImportApi
{
    public static RouteGroupBuilder MapGraphImportApi(this RouteGroupBuilder graphs)
    {
        graphs.MapPost("/import", Import)
            .WithName("ImportKerasModel")
            .WithSummary("Import a Keras or TensorFlow.js model with its weights")
            .WithDescription("multipart/form-data: part 'model' is a Keras 2 or 3 model JSON, a TensorFlow.js model.json, a Keras 3 .keras archive or a Keras 2 .h5 file; parts 'weights' are the TensorFlow.js shard files its manifest names. The weights become the graph's initial weights. A file that cannot be imported gets 400 with every problem keyed by its pointer into the file (docs/keras-interop.md).")
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        graphs.MapPost("/{id:guid}/predict", Predict)
            .WithName("PredictWithGraph")
            .WithSummary("Predict with the graph's initial weights")
            .WithDescription("Inputs are nested arrays keyed by graph input name; outputs come back keyed by output name. Uses the imported weights, or Keras's initializers seeded with 'seed' (default 0) for a graph without them.")
            .Accepts<PredictRequest>("application/json")
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return graphs;
    }

    public static async Task<Results<Created<GraphImported>, ValidationProblem, ProblemHttpResult>> Import(
        HttpRequest request, TrainDbContext db, BlobStore blobs, IOptions<StorageOptions> storage, IOptions<LimitsOptions> limits, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var limit = storage.Value.MaxUploadBytes;
        if (request.ContentLength > limit) return Problems.TooLarge(limit);
        if (!request.HasFormContentType)
            return Problems.UnsupportedMediaType("Send the model as multipart/form-data: a part 'model' and, for TensorFlow.js, the shard files as parts 'weights'.");
        var form = await request.ReadFormAsync(cancellationToken);
        var model = form.Files.GetFile("model");
        if (model is null) return Problems.Validation("/model", "The part 'model' is required: the model file.");
        var shards = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var shard in form.Files.GetFiles("weights"))
            shards[Path.GetFileName(shard.FileName)] = await ReadAsync(shard, cancellationToken);

        ImportedModel imported;
        try
        {
            imported = KerasImporter.Import(await ReadAsync(model, cancellationToken), shards);
        }
        catch (KerasImportException e)
        {
            return Problems.Validation(e.Errors, $"The model file '{model.FileName}' cannot be imported.");
        }

        if (imported.Graph.TotalParams > limits.Value.MaxGraphParams)
        {
            return Problems.Validation("/model", $"The model has {imported.Graph.TotalParams:N0} parameters; this service takes at most {limits.Value.MaxGraphParams:N0} (TrainService:Limits:MaxGraphParams).");
        }
        var record = GraphsApi.Store(db, imported.Graph, clock);
        if (imported.Weights is { } weights) GraphWeights.Write(blobs, record.Id, weights);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/graphs/{record.Id}",
            new GraphImported(record.Id, record.Name, ModelSummary.Of(imported.Graph), imported.Spec.ToJson(), imported.Weights is not null));
    }

    static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    public static async Task<Results<Ok<PredictResponse>, ValidationProblem, ProblemHttpResult>> Predict(
        Guid id, HttpRequest request, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var record = await db.Graphs.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
        if (record is null) return Problems.NotFound("graph", id);
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        long seed = 0;
        if (json?["seed"] is { } seedNode && !(seedNode is JsonValue v && v.TryGetValue(out seed)))
            return Problems.Validation("/seed", "seed is a whole number.");
        if (json is JsonObject body) body.Remove("seed");

        using var model = KerasModel.Create(GraphBuilder.Build(record.Spec), "cpu", seed);
        if (GraphWeights.Read(blobs, id) is { } initial)
        {
            try
            {
                model.SetWeights(initial);
            }
            finally
            {
                foreach (var tensor in initial.Values) tensor.Dispose();
            }
        }
        return RunModelsApi.PredictWith(model, json, cancellationToken);
    }
}
