using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace TrainService.Jobs.Hosting;

/// <summary>This process as a worker: its name, the device kind it serves and how many runs it trains at once.</summary>
public sealed class WorkerNode
{
    public WorkerNode(IOptions<WorkerOptions> options)
    {
        var worker = options.Value;
        Name = string.IsNullOrWhiteSpace(worker.NodeName) ? Environment.MachineName : worker.NodeName;
        Device = worker.Device == "auto" ? DeviceKinds.Detect() : worker.Device;
        Concurrency = worker.Concurrency ?? (Device == "cuda" ? Math.Max(1, cuda.device_count()) : 1);
    }

    public string Name { get; }

    /// <summary>cpu or cuda: the Hangfire queue this node takes runs from.</summary>
    public string Device { get; }

    public int Concurrency { get; }
}

public static class DeviceKinds
{
    public static readonly string[] All = ["cpu", "cuda"];

    /// <summary>cuda when TorchSharp sees a GPU in this process, else cpu.</summary>
    public static string Detect() => cuda.is_available() ? "cuda" : "cpu";
}
