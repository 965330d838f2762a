using TrainService.Engine.Graph;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;
using TrainService.Engine.Training.Optimizers;

namespace TrainService.Engine.Training.Compile;

/// <summary>
/// Compile settings resolved against a graph: one <see cref="OutputHead"/> per output, and the
/// names every epoch's logs will carry, in Keras's order (loss, the per-output losses, then the
/// metrics output by output, then the weighted metrics).
/// </summary>
public sealed class TrainingPlan
{
    TrainingPlan(CompileOptions options, IReadOnlyList<OutputHead> heads)
    {
        Options = options;
        Heads = heads;
        var names = new List<string> { "loss" };
        names.AddRange(heads.Select(h => h.LossLogName).OfType<string>());
        names.AddRange(heads.SelectMany(h => h.MetricLogNames));
        names.AddRange(heads.SelectMany(h => h.WeightedMetricLogNames));
        MetricsNames = names;
    }

    public CompileOptions Options { get; }

    public OptimizerSpec Optimizer => Options.Optimizer;

    public IReadOnlyList<OutputHead> Heads { get; }

    /// <summary>Keras's model.metrics_names: the keys of evaluate's result and, with "val_" added, of validation logs.</summary>
    public IReadOnlyList<string> MetricsNames { get; }

    /// <summary>Whether a larger value of a log entry is better (EarlyStopping's and ModelCheckpoint's mode "auto"); null when unknown.</summary>
    public bool? HigherIsBetter(string logName)
    {
        var name = logName.StartsWith("val_", StringComparison.Ordinal) ? logName[4..] : logName;
        if (name == "loss" || Heads.Any(h => h.LossLogName == name)) return false;
        foreach (var head in Heads)
        {
            for (int i = 0; i < head.Metrics.Count; i++)
                if (head.MetricLogNames[i] == name) return head.Metrics[i].HigherIsBetter;
            for (int i = 0; i < head.WeightedMetrics.Count; i++)
                if (head.WeightedMetricLogNames[i] == name) return head.WeightedMetrics[i].HigherIsBetter;
        }
        return null;
    }

    public static TrainingPlan Resolve(ModelGraph graph, CompileOptions options)
    {
        var diagnostics = new DiagnosticBag();
        return Resolve(graph, options, diagnostics) ?? throw new GraphValidationException(diagnostics.Errors.ToList());
    }

    /// <summary>Matches the settings to the graph's outputs; null with every problem in <paramref name="diagnostics"/>.</summary>
    public static TrainingPlan? Resolve(ModelGraph graph, CompileOptions options, DiagnosticBag diagnostics)
    {
        int errors = diagnostics.ErrorCount;
        var outputs = graph.Outputs;
        var losses = Spread(options.Loss, outputs, diagnostics, "loss", "losses");
        var weights = options.LossWeights is null ? null : Spread(options.LossWeights, outputs, diagnostics, "loss_weights", "loss weights");
        var metrics = options.Metrics is null ? null : Spread(options.Metrics, outputs, diagnostics, "metrics", "metric lists");
        var weighted = options.WeightedMetrics is null ? null : Spread(options.WeightedMetrics, outputs, diagnostics, "weighted_metrics", "metric lists");
        if (diagnostics.ErrorCount > errors) return null;

        bool multiOutput = outputs.Count > 1;
        var heads = new List<OutputHead>();
        for (int i = 0; i < outputs.Count; i++)
        {
            var loss = losses![i]?.Value;
            if (loss is null && options.Loss.Form == PerOutputForm.Dict)
                diagnostics.Warning(options.Loss.Pointer, $"Output '{outputs[i].Name}' has no loss in the loss dict: it will not be trained.", outputs[i].Name);
            heads.Add(new OutputHead(outputs[i], multiOutput, loss,
                weights?[i]?.Value ?? 1.0,
                metrics?[i]?.Value ?? [],
                weighted?[i]?.Value ?? []));
        }
        if (heads.All(h => h.Loss is null))
            diagnostics.Error(options.Loss.Pointer, "No output has a loss: give a loss for at least one output.");
        CheckUniqueNames(heads, diagnostics);
        return diagnostics.ErrorCount > errors ? null : new TrainingPlan(options, heads);
    }

    /// <summary>One entry (or none) per output, from any of the three forms; reports counts and names that do not fit.</summary>
    static PerOutputEntry<T>?[]? Spread<T>(PerOutput<T> values, IReadOnlyList<GraphOutput> outputs, DiagnosticBag diagnostics, string argument, string plural)
    {
        var result = new PerOutputEntry<T>?[outputs.Count];
        string outputList = string.Join(", ", outputs.Select(o => $"'{o.Name}'"));
        switch (values.Form)
        {
            case PerOutputForm.All:
                Array.Fill(result, values.Entries[0]);
                return result;
            case PerOutputForm.List:
                if (values.Entries.Count != outputs.Count)
                {
                    diagnostics.Error(values.Pointer, $"{argument} lists {values.Entries.Count} {plural} but the model has {outputs.Count} output{(outputs.Count == 1 ? "" : "s")} ({outputList}): give one per output, in that order, or a dict by output name.");
                    return null;
                }
                for (int i = 0; i < outputs.Count; i++) result[i] = values.Entries[i];
                return result;
            default:
                bool ok = true;
                foreach (var entry in values.Entries)
                {
                    var output = outputs.FirstOrDefault(o => o.Name == entry.Key);
                    if (output is null)
                    {
                        diagnostics.Error(entry.Pointer, $"{argument} names '{entry.Key}', which is not an output of the model. Outputs: {outputList}.");
                        ok = false;
                    }
                    else result[output.Index] = entry;
                }
                return ok ? result : null;
        }
    }

    static void CheckUniqueNames(IEnumerable<OutputHead> heads, DiagnosticBag diagnostics)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { "loss" };
        foreach (var head in heads)
        {
            if (head.LossLogName is { } lossName && !seen.Add(lossName))
                diagnostics.Error("", $"Two log entries would be named '{lossName}'.", head.Name);
            var specs = head.Metrics.Concat(head.WeightedMetrics).ToList();
            var names = head.MetricLogNames.Concat(head.WeightedMetricLogNames).ToList();
            for (int i = 0; i < names.Count; i++)
                if (!seen.Add(names[i]))
                    diagnostics.Error(specs[i].Pointer, $"The metric '{specs[i].Name}' would log as '{names[i]}', a name already taken; give it another name ({{\"type\": \"{specs[i].Kind}\", \"name\": \"...\"}}).", head.Name);
        }
    }
}
