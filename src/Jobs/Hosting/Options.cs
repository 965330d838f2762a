using System.ComponentModel.DataAnnotations;

namespace TrainService.Jobs.Hosting;

/// <summary>Connection strings (section ConnectionStrings). With no Postgres, the service runs on its embedded default.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "ConnectionStrings";

    /// <summary>PostgreSQL (Npgsql syntax), e.g. ConnectionStrings__Postgres="Host=db;Database=trainservice;Username=...".</summary>
    public string? Postgres { get; set; }

    public bool UsePostgres => !string.IsNullOrWhiteSpace(Postgres);
}

/// <summary>Files (section TrainService): the data folder shared by every node, and upload bounds.</summary>
public sealed class StorageOptions
{
    public const string Section = "TrainService";

    /// <summary>Dataset blobs, checkpoints, exported weights and (embedded default) the SQLite file. Relative paths start at the content root.</summary>
    [Required]
    public string DataDir { get; set; } = "data";

    /// <summary>Largest dataset upload accepted; larger ones get 413.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 2L << 30;

    /// <summary>Largest request body other than uploads (graphs, run requests, predict inputs).</summary>
    [Range(1, long.MaxValue)]
    public long MaxJsonBytes { get; set; } = 64L << 20;

    /// <summary>Datasets up to this size have their values checked (labels, finite numbers) before a run is queued; larger ones when it starts.</summary>
    [Range(0, long.MaxValue)]
    public long MaxCheckedDatasetBytes { get; set; } = 256L << 20;
}

/// <summary>The worker (section TrainService:Worker): which runs this process trains and how the queue is polled.</summary>
public sealed class WorkerOptions
{
    public const string Section = "TrainService:Worker";

    /// <summary>Whether this process trains runs. The API process runs an in-process worker unless this is false.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Device kind this worker serves (its Hangfire queue): cpu or cuda; auto takes cuda when TorchSharp sees a GPU.</summary>
    [RegularExpression("^(auto|cpu|cuda)$")]
    public string Device { get; set; } = "auto";

    /// <summary>Runs trained at once: one per GPU, or one on CPU, when unset.</summary>
    [Range(1, 256)]
    public int? Concurrency { get; set; }

    /// <summary>A standalone worker's Prometheus port (http://+:PORT/metrics); none when unset.</summary>
    [Range(1, 65535)]
    public int? MetricsPort { get; set; }

    /// <summary>Name of this node in runs' records (default: the host name).</summary>
    public string? NodeName { get; set; }

    /// <summary>How often an idle worker asks PostgreSQL for a job (Hangfire.PostgreSql's default is 15 s).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan QueuePollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// After this long without word from the worker that fetched a job, Hangfire.PostgreSql hands it to
    /// another. Sliding keeps it from expiring while the job runs (hangfire-postgres issues #130, #381).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan InvisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public bool SlidingInvisibilityTimeout { get; set; } = true;

    /// <summary>How often a training job records that it is alive and looks for a cancel request.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A running run whose heartbeat is older than this is taken to have lost its worker and may be claimed again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A run whose attempts were lost (node gone) or hit infrastructure failures this many times fails instead of being tried again.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How long a write of a run's progress is retried while the database is unreachable (a restart, a failover).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan DatabaseRetryFor { get; set; } = TimeSpan.FromMinutes(2);
}

/// <summary>Devices (section TrainService:Devices): memory that a run may use, checked before it is queued.</summary>
public sealed class DeviceOptions
{
    public const string Section = "TrainService:Devices";

    /// <summary>Device kind that "auto" runs are queued for; unset: cuda when this process sees a GPU, else cpu.</summary>
    [RegularExpression("^(cpu|cuda)$")]
    public string? Default { get; set; }

    /// <summary>Memory of the CPU device in bytes (default: what the process may use).</summary>
    [Range(1, long.MaxValue)]
    public long? CpuMemoryBytes { get; set; }

    /// <summary>Memory of one GPU in bytes (default 16 GiB; set it to the workers' cards).</summary>
    [Range(1, long.MaxValue)]
    public long CudaMemoryBytes { get; set; } = 16L << 30;

    public long MemoryOf(string device) =>
        device == "cuda" ? CudaMemoryBytes : CpuMemoryBytes ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
}

/// <summary>Access (section TrainService:Access): API keys. With no key at all, the service is open and listens on loopback only.</summary>
public sealed class AccessOptions
{
    public const string Section = "TrainService:Access";

    /// <summary>
    /// An admin key given by the operator (e.g. from a secret store) rather than created through the
    /// API: a fresh install that must listen beyond loopback starts with it. At least 32 characters.
    /// </summary>
    [MinLength(32)]
    public string? AdminKey { get; set; }
}

/// <summary>Limits (section TrainService:Limits): what one request, dataset, graph, project or key may take.</summary>
public sealed class LimitsOptions
{
    public const string Section = "TrainService:Limits";

    /// <summary>Arrays in one dataset file (.npz members, CSV columns).</summary>
    [Range(1, 1_000_000)]
    public int MaxDatasetArrays { get; set; } = 1024;

    /// <summary>Values in one dataset, all arrays together.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDatasetElements { get; set; } = 4L << 30;

    /// <summary>Nodes in one graph (nested graphs count separately).</summary>
    [Range(1, 1_000_000)]
    public int MaxGraphNodes { get; set; } = 10_000;

    /// <summary>Parameters of one graph, nested models included.</summary>
    [Range(1, long.MaxValue)]
    public long MaxGraphParams { get; set; } = 500_000_000;

    /// <summary>Epochs one run may ask for.</summary>
    [Range(1, 1_000_000)]
    public int MaxEpochs { get; set; } = 10_000;

    /// <summary>Runs of one project trained at once; more wait in the queue (never refused).</summary>
    [Range(1, 10_000)]
    public int MaxRunningRunsPerProject { get; set; } = 4;

    /// <summary>Requests per minute per API key; more get 429 with Retry-After. An install without keys is not limited.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerMinute { get; set; } = 1200;

    /// <summary>The graph engine's limits from these.</summary>
    public TrainService.Engine.Graph.GraphLimits Graph => new() { MaxNodes = MaxGraphNodes, MaxParams = MaxGraphParams };

    /// <summary>Runs one hub connection may follow at once.</summary>
    [Range(1, 100_000)]
    public int MaxSubscriptionsPerConnection { get; set; } = 100;
}
