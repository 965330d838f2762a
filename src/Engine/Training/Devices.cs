using static TorchSharp.torch;

namespace TrainService.Engine.Training;

/// <summary>Where a model trains: "cpu", "cuda" (or "cuda:N"), or "auto" (CUDA when TorchSharp sees a device, else the CPU).</summary>
public static class Devices
{
    // TorchSharp probes for the CUDA libraries on every availability check; once per process is enough.
    static readonly Lazy<bool> CudaAvailable = new(cuda.is_available);

    public static bool HasCuda => CudaAvailable.Value;

    public static Device Resolve(string choice)
    {
        switch (choice)
        {
            case "cpu":
                return CPU;
            case "auto":
                return HasCuda ? CUDA : CPU;
            case "cuda":
            case var c when c.StartsWith("cuda:", StringComparison.Ordinal):
                if (!HasCuda)
                    throw new InvalidOperationException($"Device '{choice}' was asked for, but TorchSharp sees no CUDA device (is the engine built with -p:TorchBackend=cuda?).");
                return device(choice);
            default:
                throw new ArgumentException($"Unknown device '{choice}': use cpu, cuda, cuda:N or auto.", nameof(choice));
        }
    }
}
