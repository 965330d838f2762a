using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Callbacks;

/// <summary>
/// keras.callbacks.ModelCheckpoint: writes a checkpoint (docs/checkpoint-format.md) after each
/// epoch, or with save_best_only only when the monitored value is the best so far. The file path
/// may hold Keras's placeholders, "weights.{epoch:02d}-{val_loss:.2f}.ckpt" (epoch counted from 1),
/// and always lies inside the directory the service gives for the run.
/// </summary>
public sealed partial class ModelCheckpoint : MonitoringCallback
{
    double? best;
    string? pending;

    public override string Type => "ModelCheckpoint";

    /// <summary>The directory every checkpoint of the run goes to.</summary>
    public required string Directory { get; init; }

    /// <summary>Relative to <see cref="Directory"/>, with Keras's {name:format} placeholders.</summary>
    public required string FilePath { get; init; }

    public bool SaveBestOnly { get; init; }

    /// <summary>Leave out the optimizer state: smaller, but a run cannot resume from it exactly.</summary>
    public bool SaveWeightsOnly { get; init; }

    public double? InitialValueThreshold { get; init; }

    /// <summary>Paths written during the run, in order.</summary>
    public List<string> Saved { get; } = [];

    public override void Validate(TrainingPlan plan, IReadOnlyCollection<string> logNames, DiagnosticBag diagnostics)
    {
        if (SaveBestOnly) base.Validate(plan, logNames, diagnostics);
        foreach (Match match in Placeholder().Matches(FilePath))
        {
            var name = match.Groups["name"].Value;
            if (name != "epoch" && !logNames.Contains(name))
                diagnostics.Error(JsonPointer.Append(Pointer, "filepath"), $"The file path names '{{{name}}}', which no epoch logs. Logged: epoch, {string.Join(", ", logNames)}.");
        }
    }

    public override void OnTrainBegin() => best = InitialValueThreshold;

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        pending = null;
        if (SaveBestOnly)
        {
            if (!TryGetMonitored(logs, out var current) || double.IsNaN(current)) return;
            if (best is double b && !(Maximize ? current > b : current < b)) return;
            best = current;
        }
        pending = Resolve(epoch, logs);
    }

    public override void OnEpochCommitted(int epoch)
    {
        if (pending is null) return;
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(pending)!);
        Context.Model.SaveCheckpoint(pending, includeOptimizer: !SaveWeightsOnly);
        Saved.Add(pending);
        pending = null;
    }

    /// <summary>The path for an epoch: placeholders filled in, kept inside <see cref="Directory"/>.</summary>
    public string Resolve(int epoch, IDictionary<string, double> logs)
    {
        var name = Placeholder().Replace(FilePath, match =>
        {
            var key = match.Groups["name"].Value;
            var value = key == "epoch" ? epoch + 1 : logs.TryGetValue(key, out var v) ? v : double.NaN;
            return FormatPython(value, match.Groups["format"].Value);
        });
        var root = Path.GetFullPath(Directory);
        var full = Path.GetFullPath(Path.Combine(root, name));
        if (!full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidOperationException($"Checkpoint path '{name}' leaves the run's checkpoint directory.");
        return full;
    }

    /// <summary>Checks a file path template as fit settings give it.</summary>
    public static string? Problem(string filePath)
    {
        if (filePath.Length == 0) return "filepath is empty.";
        if (Path.IsPathRooted(filePath)) return "filepath is relative to the run's checkpoint directory; it cannot be absolute.";
        if (filePath.Replace('\\', '/').Split('/').Any(part => part == "..")) return "filepath cannot leave the run's checkpoint directory ('..').";
        foreach (Match match in Placeholder().Matches(filePath))
            if (match.Groups["format"].Value is { Length: > 0 } format && !FormatSpec().IsMatch(format))
                return $"'{format}' is not a format this engine fills in: use d, 0Nd, .Nf or .Ne.";
        return null;
    }

    // Python's format-spec subset Keras file names use: {epoch:02d}, {val_loss:.2f}, {loss:.3e}.
    static string FormatPython(double value, string format)
    {
        var spec = FormatSpec().Match(format);
        if (format.Length == 0 || !spec.Success)
            return value == Math.Floor(value) && Math.Abs(value) < 1e15 ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        var width = spec.Groups["width"].Success ? int.Parse(spec.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        var precision = spec.Groups["precision"].Success ? int.Parse(spec.Groups["precision"].Value, CultureInfo.InvariantCulture) : 6;
        var text = spec.Groups["type"].Value switch
        {
            "d" => ((long)value).ToString(CultureInfo.InvariantCulture),
            "e" => value.ToString("0." + new string('0', precision) + "e+00", CultureInfo.InvariantCulture),
            _ => value.ToString("F" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        };
        var builder = new StringBuilder(text);
        char pad = spec.Groups["zero"].Success ? '0' : ' ';
        while (builder.Length < width) builder.Insert(text.StartsWith('-') && pad == '0' ? 1 : 0, pad);
        return builder.ToString();
    }

    [GeneratedRegex(@"\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:(?<format>[^}]*))?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[1-9][0-9]*)?(\.(?<precision>[0-9]+))?(?<type>[def])$")]
    private static partial Regex FormatSpec();

    public override JsonObject? SaveState(IDictionary<string, Tensor> tensors) => new() { ["best"] = best };

    public override void LoadState(JsonObject state, IReadOnlyDictionary<string, Tensor> tensors) => best = state["best"]?.GetValue<double>();
}
