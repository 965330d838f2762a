using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Api.Graphs;
using TrainService.Api.Infrastructure;
using TrainService.Engine.Graph;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;
using TrainService.Jobs.Live;
using TrainService.Jobs.Runs;
using TrainService.Jobs.Storage;

namespace TrainService.Api.Runs;

/// <summary>
/// POST /api/runs                 check a run request and queue it (202)
/// GET  /api/runs                 runs, newest first, by status, paged
/// GET  /api/runs/{id}            one run: status, progress, latest metrics, timings, node, device, error
/// GET  /api/runs/{id}/metrics    every finished epoch's logs
/// POST /api/runs/{id}/cancel     stop a queued or running run
/// GET  /api/runs/{id}/weights    the run's latest checkpoint file
/// GET  /api/runs/{id}/tensorboard the run's TensorBoard event files, zipped
/// POST /api/runs/{id}/predict    and /evaluate: see RunModelsApi
/// </summary>
public static class RunsApi
{
    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/runs").WithTags("Runs");
        api.MapPost("/", Create)
            .WithName("CreateRun")
            .WithSummary("Queue a training run")
            .WithDescription("Checks everything before anything is queued: the graph, the dataset's arrays (names, shapes and dtypes) against the graph's inputs and outputs, compile and fit settings, and the estimated memory against the device's. A bad request is a 400 naming each field by JSON pointer and stores nothing.")
            .Accepts<RunRequestDocument>("application/json")
            .ProducesJsonBodyProblems();
        api.MapGet("/", List).WithName("ListRuns").WithSummary("Runs, newest first, optionally by status");
        api.MapGet("/{id:guid}", Get).WithName("GetRun").WithSummary("A run's status, progress and latest metrics")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/metrics", Metrics).WithName("GetRunMetrics").WithSummary("Every finished epoch's logs under Keras's names")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/{id:guid}/cancel", Cancel)
            .WithName("CancelRun")
            .WithSummary("Cancel a queued or running run")
            .WithDescription("A queued run is canceled at once; a running one stops within one batch and ends canceled. 409 for a run that has finished.")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/{id:guid}/weights", Weights)
            .WithName("GetRunWeights")
            .WithSummary("The run's latest checkpoint (docs/checkpoint-format.md)")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/{id:guid}/tensorboard", TensorBoard)
            .WithName("GetRunTensorBoard")
            .WithSummary("The run's TensorBoard event files as a zip (train/ and validation/, scalars epoch_<metric>)")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapRunModelsApi();
        return api;
    }

    public static async Task<Results<AcceptedAtRoute<RunDetails>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, TrainDbContext db, RunQueue queue, BlobStore blobs, IOptions<DeviceOptions> devices, IOptions<StorageOptions> storage,
        IOptions<LimitsOptions> limits, IRunEventSignal signal, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        var diagnostics = new DiagnosticBag();
        var accepted = await RunRequest.CheckAsync(json, db, blobs, devices.Value, storage.Value, limits.Value, diagnostics, cancellationToken);
        if (accepted is null) return Problems.Validation(diagnostics.Errors, "The run request is not valid.");

        var graph = accepted.StoredGraph ?? GraphsApi.Store(db, accepted.Graph, clock);
        var run = new RunRecord
        {
            Id = Guid.CreateVersion7(),
            GraphId = graph.Id,
            DatasetId = accepted.Dataset.Id,
            Status = RunStatus.Queued,
            Config = accepted.Config.Serialize(),
            Device = accepted.Device,
            Epochs = accepted.Epochs,
            EstimatedMemoryBytes = accepted.Memory.TotalBytes,
            MemoryEstimate = accepted.Memory.Serialize(),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            EventSequence = 1,
        };
        db.Runs.Add(run);
        // The stream's first event goes in with the run: a subscriber always finds it.
        var queued = new RunStatusEvent(run.Id, 1, run.Status.Name(), 0, run.Epochs, null, run.CreatedAt);
        db.RunEvents.Add(RunEventLog.RecordOf(queued, run.CreatedAt));
        await db.SaveChangesAsync(cancellationToken);
        signal.Committed(queued);
        // The run is saved before its job exists, so that a worker always finds it; if the queue
        // refuses the job, the run goes again and the request fails whole.
        try
        {
            await queue.EnqueueAsync(db, run.Id, run.Device, cancellationToken);
        }
        catch
        {
            db.Runs.Remove(run);
            if (accepted.StoredGraph is null) db.Graphs.Remove(graph);
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
        return TypedResults.AcceptedAtRoute(run.AsDetails(), "GetRun", new { id = run.Id });
    }

    public static async Task<Results<Ok<RunPage>, ValidationProblem>> List(
        TrainDbContext db, [FromQuery] string? status, [FromQuery] int? offset, [FromQuery] int? limit, CancellationToken cancellationToken)
    {
        var runs = db.Runs.AsNoTracking();
        if (status is not null)
        {
            if (!Enum.TryParse<RunStatus>(status, ignoreCase: true, out var wanted) || int.TryParse(status, out _))
                return Problems.Validation("/status", "status is queued, running, succeeded, failed or canceled.");
            runs = runs.Where(r => r.Status == wanted);
        }
        int skip = Math.Max(0, offset ?? 0), take = Math.Clamp(limit ?? 50, 1, 500);
        var total = await runs.CountAsync(cancellationToken);
        var page = await runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Skip(skip).Take(take).ToListAsync(cancellationToken);
        var ids = page.Select(r => r.Id).ToList();
        var epochs = await db.EpochMetrics.AsNoTracking().Where(m => ids.Contains(m.RunId)).Select(m => new { m.RunId, m.Metrics }).ToListAsync(cancellationToken);
        var best = epochs.GroupBy(m => m.RunId).ToDictionary(g => g.Key, g => g.Select(m => ValLoss(m.Metrics)).Where(v => v is not null).Min());
        return TypedResults.Ok(new RunPage(page.Select(r => r.AsDetails(bestValLoss: best.GetValueOrDefault(r.Id))).ToList(), total, skip, take));
    }

    static double? ValLoss(string metrics)
    {
        using var logs = System.Text.Json.JsonDocument.Parse(metrics);
        return logs.RootElement.TryGetProperty("val_loss", out var value) && value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetDouble() : null;
    }

    public static async Task<Results<Ok<RunDetails>, ProblemHttpResult>> Get(Guid id, TrainDbContext db, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null) return Problems.NotFound("run", id);
        var attempts = await db.RunAttempts.AsNoTracking().Where(a => a.RunId == id).OrderBy(a => a.Attempt).ToListAsync(cancellationToken);
        return TypedResults.Ok(run.AsDetails(attempts));
    }

    public static async Task<Results<Ok<List<EpochLogs>>, ProblemHttpResult>> Metrics(Guid id, TrainDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound("run", id);
        var epochs = await db.EpochMetrics.AsNoTracking().Where(m => m.RunId == id).OrderBy(m => m.Epoch).ToListAsync(cancellationToken);
        return TypedResults.Ok(epochs.Select(m => new EpochLogs(m.Epoch, System.Text.Json.Nodes.JsonNode.Parse(m.Metrics)!)).ToList());
    }

    public static async Task<Results<Accepted<RunDetails>, ProblemHttpResult>> Cancel(
        Guid id, TrainDbContext db, IBackgroundJobClient jobs, IRunEventSignal signal, TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // A queued run ends here; a running one is asked to stop and its job ends it.
        RunStatusEvent? ended = null;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            int queued = await db.Runs.Where(r => r.Id == id && r.Status == RunStatus.Queued).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, RunStatus.Canceled)
                .SetProperty(r => r.CancelRequested, true)
                .SetProperty(r => r.FinishedAt, now), cancellationToken);
            if (queued > 0) ended = await RunEventLog.AppendStatusAsync(db, id, now, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        if (ended is not null) signal.Committed(ended);
        int canceled = ended is null ? 0 : 1;
        if (canceled == 0)
            await db.Runs.Where(r => r.Id == id && r.Status == RunStatus.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true), cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (run is null) return Problems.NotFound("run", id);
        if (canceled == 0 && run.Status != RunStatus.Running)
            return Problems.Conflict("The run has finished.", $"Run {id} is {run.Status.Name()}; only queued and running runs can be canceled.");
        if (canceled > 0 && run.JobId is not null) jobs.Delete(run.JobId);
        return TypedResults.Accepted($"/api/runs/{id}", run.AsDetails());
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Weights(Guid id, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound("run", id);
        var checkpoint = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == id).OrderByDescending(c => c.Epoch).FirstOrDefaultAsync(cancellationToken);
        if (checkpoint is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "The run has no checkpoint yet.",
                detail: "A checkpoint is written at the end of every epoch.");
        return TypedResults.File(blobs.OpenRead(checkpoint.Sha256), "application/octet-stream", $"run-{id}-epoch-{checkpoint.Epoch}.safetensors");
    }

    public static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> TensorBoard(Guid id, TrainDbContext db, BlobStore blobs, CancellationToken cancellationToken)
    {
        if (!await db.Runs.AnyAsync(r => r.Id == id, cancellationToken)) return Problems.NotFound("run", id);
        var directory = TensorBoardLog.DirectoryOf(blobs, id);
        if (!Directory.Exists(directory) || !Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Any())
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "The run has no TensorBoard events yet.",
                detail: "Events are written at the end of every epoch.");
        // Zipped to a temporary file (deleted on close): event files grow while a run trains, the zip is what was there.
        var zip = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        await System.IO.Compression.ZipFile.CreateFromDirectoryAsync(directory, zip, System.IO.Compression.CompressionLevel.Fastest,
            includeBaseDirectory: false, cancellationToken: cancellationToken);
        zip.Position = 0;
        return TypedResults.File(zip, "application/zip", $"run-{id:N}-tensorboard.zip");
    }
}
