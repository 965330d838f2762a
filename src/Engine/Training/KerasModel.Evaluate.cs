using TrainService.Engine.Graph;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Training;

public sealed partial class KerasModel
{
    /// <summary>
    /// Keras's evaluate: the loss and metrics over the data in inference mode, batched, keyed by
    /// <see cref="MetricsNames"/>. Throws <see cref="GraphValidationException"/> for bad data.
    /// </summary>
    public OrderedDictionary<string, double> Evaluate(FitData data, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        var plan = Plan ?? throw new InvalidOperationException("Compile the model before evaluate.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var diagnostics = new DiagnosticBag();
        using var prepared = DataPreparation.Prepare(Graph, plan, data, diagnostics, "", requireTargets: true);
        if (prepared is null || diagnostics.HasErrors) throw new GraphValidationException(diagnostics.Errors.ToList());
        using var metrics = new EpochMetrics(plan, prepared);
        var (logs, _) = Score(plan, prepared, metrics, batchSize, "", cancellationToken, observer: null);
        var result = new OrderedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in logs) result[name] = value;
        return result;
    }

    (List<KeyValuePair<string, double>> Logs, Dictionary<string, double>[] ByHead) Score(TrainingPlan plan, PreparedData data, EpochMetrics metrics,
        int batchSize, string prefix, CancellationToken cancellationToken, ITrainingObserver? observer)
    {
        bool wasTraining = Module.training;
        Module.eval();
        try
        {
            metrics.Reset(Device);
            using var _ = no_grad();
            for (long start = 0; start < data.Count; start += batchSize)
            {
                if (cancellationToken.IsCancellationRequested) Cancel(observer, cancellationToken);
                using var scope = NewDisposeScope();
                var batch = data.Take(null, start, Math.Min(batchSize, data.Count - start), Device);
                var predictions = Module.Forward(batch.Inputs);
                var headLosses = new Tensor?[plan.Heads.Count];
                var total = TotalLoss(plan, predictions, batch, headLosses);
                metrics.Update(total, headLosses, predictions, batch);
            }
            return metrics.Results(prefix);
        }
        finally
        {
            if (wasTraining) Module.train();
        }
    }

    /// <summary>
    /// Keras's predict: the outputs in inference mode, batched, on the CPU, keyed by output name.
    /// Throws <see cref="GraphValidationException"/> for inputs the model cannot take.
    /// </summary>
    public OrderedDictionary<string, Tensor> Predict(NamedArrays x, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var diagnostics = new DiagnosticBag();
        using var prepared = DataPreparation.Prepare(Graph, plan: null, new FitData(x), diagnostics, "", requireTargets: false);
        if (prepared is null || diagnostics.HasErrors) throw new GraphValidationException(diagnostics.Errors.ToList());
        bool wasTraining = Module.training;
        Module.eval();
        var parts = Graph.Outputs.Select(_ => new List<Tensor>()).ToArray();
        try
        {
            using var _ = no_grad();
            for (long start = 0; start < prepared.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = prepared.Take(null, start, Math.Min(batchSize, prepared.Count - start), Device);
                var outputs = Module.Forward(batch.Inputs);
                for (int i = 0; i < outputs.Count; i++) parts[i].Add(outputs[i].cpu().MoveToOuterDisposeScope());
            }
            var result = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < parts.Length; i++)
                result[Graph.Outputs[i].Name] = parts[i].Count == 1 ? parts[i][0] : cat(parts[i], 0);
            return result;
        }
        finally
        {
            foreach (var part in parts.Where(p => p.Count > 1).SelectMany(p => p)) part.Dispose();
            if (wasTraining) Module.train();
        }
    }
}
