using System.ComponentModel;
using System.Text.Json.Nodes;
using TrainService.Jobs.Data;

namespace TrainService.Api.Runs;

public sealed record RunDetails(
    Guid Id,
    [property: Description("queued, running, succeeded, failed or canceled.")] string Status,
    Guid GraphId,
    [property: Description("Null once the dataset was deleted after the run finished.")] Guid? DatasetId,
    [property: Description("The device kind the run was queued for: cpu or cuda.")] string Device,
    [property: Description("Epochs finished so far.")] int Epoch,
    int Epochs,
    [property: Description("The last finished epoch's logs under Keras's names.")] JsonNode? Metrics,
    DateTime CreatedAt,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    [property: Description("The worker node that trains (or trained) the run.")] string? Node,
    string? Error,
    bool CancelRequested,
    long EstimatedMemoryBytes,
    JsonNode MemoryEstimate,
    [property: Description("inputs, targets, compile and fit as accepted.")] JsonNode Config,
    [property: Description("The sequence number of the run's last durable live event: subscribe from here (SubscribeRun) to follow on without a gap.")] long Sequence,
    [property: Description("Each start of the run on a worker (GET /api/runs/{id} only).")] IReadOnlyList<RunAttempt>? Attempts,
    [property: Description("The lowest val_loss over the finished epochs (GET /api/runs only; null without validation).")] double? BestValLoss = null);

/// <param name="Outcome">Null while it trains; then succeeded, failed, canceled, released (its worker shut down and gave it back), lost (its worker went silent) or retried.</param>
/// <param name="FailureKind">For failed, lost and retried attempts: infrastructure, device, numerics, request or internal.</param>
public sealed record RunAttempt(int Attempt, string Node, string Device, DateTime StartedAt, DateTime? EndedAt, string? Outcome, string? FailureKind, string? Error);

public sealed record RunPage(IReadOnlyList<RunDetails> Items, int Total, int Offset, int Limit);

public sealed record EpochLogs(int Epoch, [property: Description("Keras's epoch logs: loss, <output>_loss, <output>_<metric>, val_...")] JsonNode Metrics);

public static class RunMapping
{
    public static RunDetails AsDetails(this RunRecord run, IReadOnlyList<RunAttemptRecord>? attempts = null, double? bestValLoss = null) => new(
        run.Id, run.Status.Name(), run.GraphId, run.DatasetId, run.Device, run.Epoch, run.Epochs,
        run.LatestMetrics is null ? null : JsonNode.Parse(run.LatestMetrics),
        run.CreatedAt, run.StartedAt, run.FinishedAt, run.Node, run.Error, run.CancelRequested,
        run.EstimatedMemoryBytes, JsonNode.Parse(run.MemoryEstimate)!, JsonNode.Parse(run.Config)!, run.EventSequence,
        attempts?.Select(a => new RunAttempt(a.Attempt, a.Node, a.Device, a.StartedAt, a.EndedAt, a.Outcome, a.FailureKind, a.Error)).ToList(),
        bestValLoss);
}
