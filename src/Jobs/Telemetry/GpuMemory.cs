using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace TrainService.Jobs.Telemetry;

/// <summary>
/// GPU memory in use, per GPU, where the machine can tell: TorchSharp 0.107 has no binding for
/// CUDA's memory counters, so this asks nvidia-smi (the driver's tool, present wherever a GPU
/// worker runs), at most every ten seconds. On a machine without it the gauge reports nothing.
/// </summary>
public static class GpuMemory
{
    static readonly Meter Meter = new(TrainingTelemetry.Name + ".Gpu");
    static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(10);
    static (DateTime At, List<Measurement<long>> Values) last = (DateTime.MinValue, []);
    static bool unavailable;

    static GpuMemory() =>
        Meter.CreateObservableGauge("trainservice.gpu.memory.used", Read, "By", "GPU memory in use, per GPU (nvidia-smi).");

    /// <summary>Makes the gauge exist (a static constructor runs on first use).</summary>
    public static string MeterName => Meter.Name;

    static IEnumerable<Measurement<long>> Read()
    {
        if (unavailable) return [];
        lock (Meter)
        {
            if (DateTime.UtcNow - last.At < KeepFor) return last.Values;
            try
            {
                var start = new ProcessStartInfo("nvidia-smi", "--query-gpu=index,memory.used --format=csv,noheader,nounits") { RedirectStandardOutput = true, RedirectStandardError = true };
                using var process = Process.Start(start)!;
                var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                process.WaitForExit(2000);
                var values = lines.Select(l => l.Split(',')).Where(p => p.Length == 2)
                    .Select(p => new Measurement<long>(long.Parse(p[1].Trim(), CultureInfo.InvariantCulture) << 20, new KeyValuePair<string, object?>("gpu", p[0].Trim())))
                    .ToList();
                last = (DateTime.UtcNow, values);
                return values;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or FormatException or InvalidOperationException)
            {
                unavailable = true; // no nvidia-smi here: no GPU to report
                return [];
            }
        }
    }
}
