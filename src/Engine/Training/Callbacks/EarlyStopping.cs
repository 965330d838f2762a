using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Callbacks;

/// <summary>
/// keras.callbacks.EarlyStopping, Keras 3's rules: an epoch improves when the monitored value
/// beats the best by more than min_delta; training stops once patience epochs pass without one
/// (never at the first epoch); restore_best_weights puts back the best epoch's weights at the end.
/// </summary>
public sealed class EarlyStopping : MonitoringCallback
{
    int wait;
    double? best;
    int bestEpoch;
    Dictionary<string, Tensor>? bestWeights;

    public override string Type => "EarlyStopping";

    public double MinDelta { get; init; }

    public int Patience { get; init; }

    public double? Baseline { get; init; }

    public bool RestoreBestWeights { get; init; }

    public int StartFromEpoch { get; init; }

    /// <summary>The epoch whose weights were best (meaningful once training ran).</summary>
    public int BestEpoch => bestEpoch;

    public override void OnTrainBegin()
    {
        wait = 0;
        best = null;
        bestEpoch = 0;
        DisposeBestWeights();
    }

    public override void OnEpochEnd(int epoch, IDictionary<string, double> logs)
    {
        if (!TryGetMonitored(logs, out var current) || epoch < StartFromEpoch) return;
        // Until something beats it, the first epoch's weights are the best ones.
        if (RestoreBestWeights && bestWeights is null)
        {
            bestWeights = Context.Model.GetWeights();
            bestEpoch = epoch;
        }
        wait++;
        if (IsImprovement(current, best))
        {
            best = current;
            bestEpoch = epoch;
            if (RestoreBestWeights)
            {
                DisposeBestWeights();
                bestWeights = Context.Model.GetWeights();
            }
            // Only a value that also beats the baseline restarts the patience.
            if (Baseline is null || IsImprovement(current, Baseline)) wait = 0;
            return;
        }
        if (wait >= Patience && epoch > 0)
            Context.Stop(StopReason.StoppedEarly, $"EarlyStopping: '{Monitor}' did not improve for {wait} epoch{(wait == 1 ? "" : "s")}; best {best} at epoch {bestEpoch + 1}.");
    }

    public override void OnTrainEnd()
    {
        if (RestoreBestWeights && bestWeights is not null) Context.Model.SetWeights(bestWeights);
        DisposeBestWeights();
    }

    bool IsImprovement(double value, double? reference)
    {
        if (reference is not double r) return true;
        var delta = Math.Abs(MinDelta);
        return Maximize ? value - delta > r : value + delta < r;
    }

    public override JsonObject? SaveState(IDictionary<string, Tensor> tensors)
    {
        if (bestWeights is not null)
            foreach (var (key, value) in bestWeights) tensors["best_weights/" + key] = value;
        return new JsonObject { ["wait"] = wait, ["best"] = best, ["best_epoch"] = bestEpoch };
    }

    public override void LoadState(JsonObject state, IReadOnlyDictionary<string, Tensor> tensors)
    {
        wait = state["wait"]!.GetValue<int>();
        best = state["best"]?.GetValue<double>();
        bestEpoch = state["best_epoch"]!.GetValue<int>();
        DisposeBestWeights();
        const string prefix = "best_weights/";
        var saved = tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        if (saved.Count > 0) bestWeights = saved.ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value.clone());
    }

    void DisposeBestWeights()
    {
        if (bestWeights is null) return;
        foreach (var tensor in bestWeights.Values) tensor.Dispose();
        bestWeights = null;
    }
}
