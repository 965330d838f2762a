namespace TrainService.Jobs.Data;

/// <summary>A validated graph as the client sent it (the wire format, JSON).</summary>
public sealed class GraphRecord
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string Spec { get; set; }

    public long TotalParams { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>An uploaded dataset: its file lives in the blob store under its SHA-256.</summary>
public sealed class DatasetRecord
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    public required string FileName { get; set; }

    public required string Format { get; set; }

    public required string Sha256 { get; set; }

    public long SizeBytes { get; set; }

    /// <summary>JSON list of {name, dtype, shape}.</summary>
    public required string Arrays { get; set; }

    public DateTime CreatedAt { get; set; }
}

public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

public static class RunStatuses
{
    public static bool IsActive(this RunStatus status) => status is RunStatus.Queued or RunStatus.Running;

    /// <summary>The status as the API writes it: queued, running, succeeded, failed, canceled.</summary>
    public static string Name(this RunStatus status) => status.ToString().ToLowerInvariant();
}

/// <summary>A training run: what to train (graph, dataset, settings) and where it stands.</summary>
public sealed class RunRecord
{
    public Guid Id { get; set; }

    public Guid GraphId { get; set; }

    public GraphRecord? Graph { get; set; }

    /// <summary>The dataset trained on; null once it was deleted after the run finished.</summary>
    public Guid? DatasetId { get; set; }

    public DatasetRecord? Dataset { get; set; }

    public RunStatus Status { get; set; }

    /// <summary>JSON: {inputs, targets, compile, fit} as accepted (defaults filled in).</summary>
    public required string Config { get; set; }

    /// <summary>The device kind the run was queued for ("cpu", "cuda"): also the name of its Hangfire queue.</summary>
    public required string Device { get; set; }

    public int Epoch { get; set; }

    public int Epochs { get; set; }

    /// <summary>JSON object of the last epoch's logs.</summary>
    public string? LatestMetrics { get; set; }

    public long EstimatedMemoryBytes { get; set; }

    /// <summary>JSON: the memory estimate's parts.</summary>
    public required string MemoryEstimate { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>Refreshed by the worker that trains the run; a stale heartbeat means that worker is gone.</summary>
    public DateTime? HeartbeatAt { get; set; }

    public string? Node { get; set; }

    public string? Error { get; set; }

    public bool CancelRequested { get; set; }

    /// <summary>How many times the queue handed the run's job to a worker.</summary>
    public int Deliveries { get; set; }

    /// <summary>How many times a worker claimed the run and trained it (a delivery finding the run live elsewhere does not count).</summary>
    public int Attempts { get; set; }

    public string? JobId { get; set; }
}

/// <summary>One epoch's logs of a run, every metric under Keras's name.</summary>
public sealed class EpochMetricRecord
{
    public Guid RunId { get; set; }

    public int Epoch { get; set; }

    /// <summary>JSON object: {loss, age_loss, val_loss, ...}.</summary>
    public required string Metrics { get; set; }

    public DateTime RecordedAt { get; set; }
}

/// <summary>A checkpoint file of a run (in the blob store).</summary>
public sealed class CheckpointRecord
{
    public Guid RunId { get; set; }

    public int Epoch { get; set; }

    public required string Sha256 { get; set; }

    public long SizeBytes { get; set; }

    public DateTime CreatedAt { get; set; }
}
