namespace TrainService.Jobs.Data;

/// <summary>A validated graph as the client sent it (the wire format, JSON).</summary>
public sealed class GraphRecord : IProjectOwned
{
    public Guid Id { get; set; }

    /// <summary>The project it belongs to: only keys of that project (and admin keys) see it.</summary>
    public string Project { get; set; } = Projects.Default;

    public required string Name { get; set; }

    public required string Spec { get; set; }

    public long TotalParams { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>An uploaded dataset: its file lives in the blob store under its SHA-256.</summary>
public sealed class DatasetRecord : IProjectOwned
{
    public Guid Id { get; set; }

    /// <summary>The project it belongs to: only keys of that project (and admin keys) see it.</summary>
    public string Project { get; set; } = Projects.Default;

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
public sealed class RunRecord : IProjectOwned
{
    public Guid Id { get; set; }

    /// <summary>The project it belongs to: only keys of that project (and admin keys) see it.</summary>
    public string Project { get; set; } = Projects.Default;

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

    /// <summary>The sequence number of the run's last durable event (<see cref="RunEventRecord"/>).</summary>
    public long EventSequence { get; set; }
}

/// <summary>
/// One durable event of a run's live stream (RunStatus, EpochEnd), numbered 1, 2, 3... per run, so
/// that a client that subscribes late or reconnects gets exactly what it missed.
/// </summary>
public sealed class RunEventRecord
{
    public Guid RunId { get; set; }

    public long Sequence { get; set; }

    /// <summary>The hub event's name: RunStatus or EpochEnd.</summary>
    public required string Kind { get; set; }

    /// <summary>JSON: the event as clients receive it.</summary>
    public required string Payload { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>One start of a run on a worker: where, when, and how it ended.</summary>
public sealed class RunAttemptRecord
{
    public Guid RunId { get; set; }

    /// <summary>1 for the first start, counting every claim.</summary>
    public int Attempt { get; set; }

    public required string Node { get; set; }

    public required string Device { get; set; }

    public DateTime StartedAt { get; set; }

    public DateTime? EndedAt { get; set; }

    /// <summary>Null while it trains; then an <see cref="AttemptOutcomes"/> value.</summary>
    public string? Outcome { get; set; }

    /// <summary>For a failed or lost attempt: a <see cref="FailureKinds"/> value.</summary>
    public string? FailureKind { get; set; }

    public string? Error { get; set; }
}

public static class AttemptOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Canceled = "canceled";

    /// <summary>The worker shut down gracefully and gave the run back to the queue.</summary>
    public const string Released = "released";

    /// <summary>The worker went silent (killed, crashed, cut off): found by the next claim.</summary>
    public const string Lost = "lost";

    /// <summary>Failed for a reason worth another try (the database went away): queued again.</summary>
    public const string Retried = "retried";
}

/// <summary>Why an attempt failed, which decides whether the run is tried again.</summary>
public static class FailureKinds
{
    /// <summary>A node lost, the database unreachable: tried again.</summary>
    public const string Infrastructure = "infrastructure";

    /// <summary>Out of memory on the device: not tried again on the same kind of device; the error gives advice.</summary>
    public const string Device = "device";

    /// <summary>The loss became NaN or infinite: never tried again.</summary>
    public const string Numerics = "numerics";

    /// <summary>The graph, data or settings cannot be trained: never tried again.</summary>
    public const string Request = "request";

    /// <summary>Anything else: a bug of ours, not tried again.</summary>
    public const string Internal = "internal";
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

/// <summary>A record that belongs to a project (graphs, datasets, runs): only that project's keys, and admin keys, see it.</summary>
public interface IProjectOwned
{
    string Project { get; set; }
}

public static class Projects
{
    /// <summary>Where everything goes on an open (keyless) install, and what admin keys create in.</summary>
    public const string Default = "default";
}

/// <summary>An API key: only its SHA-256 is stored; the key itself is shown once, when created.</summary>
public sealed class ApiKeyRecord
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The project the key reaches; null for an admin key, which reaches every project and the admin endpoints.</summary>
    public string? Project { get; set; }

    /// <summary>The key's first characters, to tell keys apart in lists and logs without revealing them.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the key, lower-case hex. Keys are 256 random bits: a fast hash is enough.</summary>
    public required string Hash { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}
