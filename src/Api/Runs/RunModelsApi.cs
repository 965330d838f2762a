using System.ComponentModel;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using TrainService.Api.Datasets;
using TrainService.Api.Infrastructure;
using TrainService.Engine.Graph;
using TrainService.Engine.Interop;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Data;
using TrainService.Jobs.Data;
using TrainService.Jobs.Runs;
using TrainService.Jobs.Storage;
using static TorchSharp.torch;

namespace TrainService.Api.Runs;

[Description("Inputs by graph input name, each a nested array of numbers with samples first.")]
public sealed record PredictRequest(IReadOnlyDictionary<string, JsonNode> Inputs, [property: Description("Default 32.")] int? BatchSize);

public sealed record PredictResponse([property: Description("Outputs by name, nested arrays with samples first.")] IReadOnlyDictionary<string, JsonNode> Outputs);

[Description("A dataset to score the run's trained weights on; inputs and targets default to the run's own mapping.")]
public sealed record EvaluateRequest(Guid DatasetId, IReadOnlyDictionary<string, string>? Inputs, IReadOnlyDictionary<string, string>? Targets, int? BatchSize);

public sealed record EvaluateResponse([property: Description("Keras's evaluate: loss and metrics under Keras's names.")] IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// POST /api/runs/{id}/predict    outputs for inputs given as JSON, with the run's latest weights
/// POST /api/runs/{id}/evaluate   loss and metrics on a dataset
/// GET  /api/runs/{id}/export     the trained model for TensorFlow.js (format=tfjs) or Keras 3 (format=keras)
/// Each loads the run's latest checkpoint on the CPU of the API process.
/// </summary>
public static class RunModelsApi
{
    const long MaxPredictValues = 10_000_000;

    public static RouteGroupBuilder MapRunModelsApi(this RouteGroupBuilder runs)
    {
        runs.MapPost("/{id:guid}/predict", Predict)
            .WithName("PredictWithRun")
            .WithSummary("Predict with the run's trained weights")
            .WithDescription("Inputs are nested arrays keyed by graph input name (samples first); outputs come back keyed by output name. 409 while the run has no checkpoint.")
            .Accepts<PredictRequest>("application/json")
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapPost("/{id:guid}/evaluate", Evaluate)
            .WithName("EvaluateRun")
            .WithSummary("Evaluate the run's trained weights on a dataset")
            .Accepts<EvaluateRequest>("application/json")
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        runs.MapGet("/{id:guid}/export", Export)
            .WithName("ExportRun")
            .WithSummary("Download the trained model for TensorFlow.js or Keras")
            .WithDescription("format=tfjs: a zip of model.json and its weight shard, for tf.loadLayersModel. format=keras: a Keras 3 .keras archive, for keras.saving.load_model. 400 when the format cannot express the model (docs/keras-interop.md), 409 while the run has no checkpoint.")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return runs;
    }

    public static async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> Export(
        Guid id, string? format, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        if (format is not ("tfjs" or "keras"))
            return Problems.Validation("/format", $"format is tfjs (a TensorFlow.js layers-model zip) or keras (a Keras 3 .keras archive), not '{format}'.");
        var (checkpoint, missing) = await CheckpointAsync(id, db, cancellationToken);
        if (missing is not null) return missing;
        using var model = KerasModel.LoadCheckpoint(blobs.PathOf(checkpoint!.Sha256), "cpu");
        var weights = ModelWeights.Read(model.Module);
        using var file = new MemoryStream();
        try
        {
            if (format == "tfjs") KerasExporter.WriteTfjsZip(file, model.Graph, weights);
            else KerasExporter.WriteKerasArchive(file, model.Graph, weights);
        }
        catch (KerasExportException e)
        {
            return Problems.Validation("/format", e.Message);
        }
        var name = model.Graph.Name + (format == "tfjs" ? "-tfjs.zip" : ".keras");
        return TypedResults.File(file.ToArray(), "application/zip", name);
    }

    public static async Task<Results<Ok<PredictResponse>, ValidationProblem, ProblemHttpResult>> Predict(
        Guid id, HttpRequest request, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var (checkpoint, missing) = await CheckpointAsync(id, db, cancellationToken);
        if (missing is not null) return missing;
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;

        using var model = KerasModel.LoadCheckpoint(blobs.PathOf(checkpoint!.Sha256), "cpu");
        return PredictWith(model, json, cancellationToken);
    }

    /// <summary>Keras's predict on inputs given as JSON ({inputs: {name: nested arrays}, batch_size}), outputs as JSON.</summary>
    public static Results<Ok<PredictResponse>, ValidationProblem, ProblemHttpResult> PredictWith(KerasModel model, JsonNode? json, CancellationToken cancellationToken)
    {
        var diagnostics = new DiagnosticBag();
        var root = JsonBody.Object(json, "", diagnostics);
        var inputsJson = JsonBody.Object(root?["inputs"], "/inputs", diagnostics);
        var batchSize = BatchSize(root, diagnostics);
        if (inputsJson is null || diagnostics.HasErrors) return Problems.Validation(diagnostics.Errors);
        foreach (var (key, _) in inputsJson)
            if (model.Graph.FindInput(key) is null)
                diagnostics.Error(JsonPointer.Append("/inputs", key), $"The graph has no input '{key}'. It has: {string.Join(", ", model.Graph.Inputs.Select(i => i.Name))}.");
        var tensors = new List<KeyValuePair<string, Tensor>>();
        try
        {
            foreach (var input in model.Graph.Inputs)
            {
                var pointer = JsonPointer.Append("/inputs", input.Name);
                if (inputsJson[input.Name] is not { } values)
                    diagnostics.Error(pointer, $"Required: graph input '{input.Name}' takes {input.Info.Shape}.");
                else if (JsonTensors.Read(values, TorchType(input.Spec.DType), pointer, diagnostics, MaxPredictValues) is { } tensor)
                    tensors.Add(KeyValuePair.Create(input.Name, tensor));
            }
            if (diagnostics.HasErrors) return Problems.Validation(diagnostics.Errors);
            try
            {
                var outputs = model.Predict(NamedArrays.Named(tensors), batchSize, cancellationToken);
                var response = new Dictionary<string, JsonNode>();
                foreach (var (name, tensor) in outputs)
                    using (tensor) response[name] = JsonTensors.Write(tensor);
                return TypedResults.Ok(new PredictResponse(response));
            }
            catch (GraphValidationException e)
            {
                return Problems.Validation(e.Errors.Select(RunRequest.RequestPointers));
            }
        }
        finally
        {
            foreach (var (_, tensor) in tensors) tensor.Dispose();
        }
    }

    public static async Task<Results<Ok<EvaluateResponse>, ValidationProblem, ProblemHttpResult>> Evaluate(
        Guid id, HttpRequest request, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        var (checkpoint, missing) = await CheckpointAsync(id, db, cancellationToken);
        if (missing is not null) return missing;
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;

        var diagnostics = new DiagnosticBag();
        var root = JsonBody.Object(json, "", diagnostics);
        var batchSize = BatchSize(root, diagnostics);
        var dataset = root is null ? null : await RunRequest.DatasetAsync(root, db, diagnostics, cancellationToken);
        if (root is null || dataset is null || diagnostics.HasErrors) return Problems.Validation(diagnostics.Errors);

        var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == id, cancellationToken);
        var config = RunConfig.Deserialize(run.Config);
        using var model = KerasModel.LoadCheckpoint(blobs.PathOf(checkpoint!.Sha256), "cpu");
        var arrays = DatasetMapping.ArrayDescriptions(dataset).ToDictionary(a => a.Name);
        var inputs = RunRequest.Mapping(root["inputs"], "/inputs", model.Graph.Inputs.Select(i => i.Name), "graph input", arrays, diagnostics, config.Inputs);
        var targets = RunRequest.Mapping(root["targets"], "/targets", model.Graph.Outputs.Select(o => o.Name), "output", arrays, diagnostics, config.Targets);
        if (inputs is null || targets is null || diagnostics.HasErrors) return Problems.Validation(diagnostics.Errors);

        using var loaded = DatasetArrays.Load(blobs, dataset, inputs.Values.Concat(targets.Values).ToHashSet());
        try
        {
            var metrics = model.Evaluate(loaded.FitData(inputs, targets), batchSize, cancellationToken);
            return TypedResults.Ok(new EvaluateResponse(metrics.ToDictionary(kv => kv.Key, kv => kv.Value)));
        }
        catch (GraphValidationException e)
        {
            return Problems.Validation(e.Errors.Select(RunRequest.RequestPointers));
        }
    }

    static async Task<(CheckpointRecord?, ProblemHttpResult?)> CheckpointAsync(Guid id, TrainDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return (null, Problems.NotFound("run", id));
        var checkpoint = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == id).OrderByDescending(c => c.Epoch).FirstOrDefaultAsync(cancellationToken);
        return checkpoint is null
            ? (null, Problems.Conflict("The run has no trained weights yet.", "Its first checkpoint is written when its first epoch ends."))
            : (checkpoint, null);
    }

    static int BatchSize(JsonObject? root, DiagnosticBag diagnostics)
    {
        if (root?["batch_size"] is not { } node) return 32;
        if (node is JsonValue v && v.TryGetValue<int>(out var size) && size >= 1) return size;
        diagnostics.Error("/batch_size", "batch_size is a whole number of at least 1.");
        return 32;
    }

    static ScalarType TorchType(DType dtype) => dtype switch
    {
        DType.Int32 => ScalarType.Int32,
        DType.Int64 => ScalarType.Int64,
        _ => ScalarType.Float32,
    };
}
