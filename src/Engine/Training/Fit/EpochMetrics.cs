using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Fit;

/// <summary>
/// The losses and metrics of one pass over data (a training epoch or an evaluation), accumulated
/// on the device: the total loss and each head's unweighted loss as means weighted by batch size
/// (Keras's loss trackers), and each head's metrics.
/// </summary>
internal sealed class EpochMetrics : IDisposable
{
    readonly TrainingPlan plan;
    readonly Metric[][] metrics;
    readonly Metric[][] weightedMetrics;
    // Position of each head's loss in the tracker (after the total at 0), -1 without a loss.
    readonly int[] lossSlot;
    readonly int slots;
    Tensor? sums;
    double samples;

    public EpochMetrics(TrainingPlan plan, PreparedData data)
    {
        this.plan = plan;
        metrics = plan.Heads.Select(h => data.Heads[h.Index] is { } d ? h.Metrics.Select(m => m.Create(d.Shapes)).ToArray() : []).ToArray();
        weightedMetrics = plan.Heads.Select(h => data.Heads[h.Index] is { } d ? h.WeightedMetrics.Select(m => m.Create(d.Shapes)).ToArray() : []).ToArray();
        lossSlot = new int[plan.Heads.Count];
        int next = 1;
        foreach (var head in plan.Heads) lossSlot[head.Index] = head.Loss is null ? -1 : next++;
        slots = next;
    }

    public void Reset(Device device)
    {
        if (sums is null || sums.device_type != device.type || sums.device_index != device.index)
        {
            sums?.Dispose();
            sums = zeros(slots, ScalarType.Float64, device).DetachFromDisposeScope();
        }
        else sums.fill_(0);
        samples = 0;
        foreach (var metric in metrics.Concat(weightedMetrics).SelectMany(m => m)) metric.Reset(device);
    }

    /// <summary>Adds one batch: its total loss, each head's unweighted loss, and the metrics of its predictions.</summary>
    /// <remarks>Runs under no_grad (the caller's).</remarks>
    public void Update(Tensor total, Tensor?[] headLosses, IReadOnlyList<Tensor> predictions, Batch batch)
    {
        var values = new Tensor[slots];
        values[0] = total;
        for (int i = 0; i < headLosses.Length; i++)
            if (lossSlot[i] > 0) values[lossSlot[i]] = headLosses[i]!;
        // In place, float32 values add into the float64 sums.
        sums!.add_(stack(values), batch.Size);
        samples += batch.Size;
        for (int h = 0; h < metrics.Length; h++)
        {
            foreach (var metric in metrics[h])
                metric.Update(Target(batch, h, metric.Target), predictions[h], null);
            foreach (var metric in weightedMetrics[h])
                metric.Update(Target(batch, h, metric.Target), predictions[h], batch.SampleWeights[h]);
        }
    }

    static Tensor Target(Batch batch, int head, TargetForm form) => (form == TargetForm.Labels ? batch.Labels[head] : batch.Dense[head])!;

    /// <summary>The mean loss so far (reads one value from the device).</summary>
    public double RunningLoss()
    {
        using var total = sums![0];
        return total.item<double>() / samples;
    }

    /// <summary>Keras's logs for the pass, in Keras's order, each name given <paramref name="prefix"/> ("val_"); and the values by head.</summary>
    public (List<KeyValuePair<string, double>> Logs, Dictionary<string, double>[] ByHead) Results(string prefix = "")
    {
        double[] means;
        using (var host = sums!.cpu())
            means = host.data<double>().Select(s => samples == 0 ? double.NaN : s / samples).ToArray();
        var logs = new List<KeyValuePair<string, double>> { new(prefix + "loss", means[0]) };
        var byHead = plan.Heads.Select(_ => new Dictionary<string, double>(StringComparer.Ordinal)).ToArray();
        foreach (var head in plan.Heads)
        {
            if (lossSlot[head.Index] < 0) continue;
            var value = means[lossSlot[head.Index]];
            byHead[head.Index]["loss"] = value;
            if (head.LossLogName is { } name) logs.Add(new(prefix + name, value));
        }
        bool multiOutput = plan.Heads.Count > 1;
        void AddMetrics(Func<OutputHead, IReadOnlyList<string>> logNames, Metric[][] set)
        {
            foreach (var head in plan.Heads)
            {
                var names = logNames(head);
                for (int m = 0; m < set[head.Index].Length; m++)
                {
                    var value = set[head.Index][m].Result();
                    logs.Add(new(prefix + names[m], value));
                    // Grouped by head, a metric keeps the name it was written with.
                    byHead[head.Index][multiOutput ? names[m][(head.Name.Length + 1)..] : names[m]] = value;
                }
            }
        }
        AddMetrics(h => h.MetricLogNames, metrics);
        AddMetrics(h => h.WeightedMetricLogNames, weightedMetrics);
        return (logs, byHead);
    }

    public void Dispose()
    {
        sums?.Dispose();
        foreach (var metric in metrics.Concat(weightedMetrics).SelectMany(m => m)) metric.Dispose();
    }
}
