using TrainService.Engine.Graph;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;

namespace TrainService.Engine.Training.Compile;

/// <summary>One output of the model as compile set it up: its loss, the loss's weight in the total, its metrics and their log names.</summary>
public sealed class OutputHead
{
    internal OutputHead(GraphOutput output, bool multiOutput, Loss? loss, double lossWeight,
        IReadOnlyList<MetricSpec> metrics, IReadOnlyList<MetricSpec> weightedMetrics)
    {
        Output = output;
        Loss = loss;
        LossWeight = lossWeight;
        Metrics = metrics;
        WeightedMetrics = weightedMetrics;
        string Prefixed(string name) => multiOutput ? $"{output.Name}_{name}" : name;
        LossLogName = multiOutput && loss is not null ? Prefixed("loss") : null;
        var metricNames = metrics.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        MetricLogNames = metrics.Select(m => Prefixed(m.Name)).ToList();
        // Keras renames a weighted metric that repeats an unweighted one's name.
        WeightedMetricLogNames = weightedMetrics.Select(m => Prefixed(metricNames.Contains(m.Name) ? "weighted_" + m.Name : m.Name)).ToList();
    }

    public GraphOutput Output { get; }

    public string Name => Output.Name;

    public int Index => Output.Index;

    /// <summary>Null for an output compile gave no loss: it is predicted but not trained.</summary>
    public Loss? Loss { get; }

    public double LossWeight { get; }

    public IReadOnlyList<MetricSpec> Metrics { get; }

    public IReadOnlyList<MetricSpec> WeightedMetrics { get; }

    /// <summary>"&lt;output&gt;_loss" in multi-output models (the unweighted loss of this head); null otherwise.</summary>
    public string? LossLogName { get; }

    /// <summary>"&lt;output&gt;_&lt;metric as written&gt;" in multi-output models, the metric's name otherwise.</summary>
    public IReadOnlyList<string> MetricLogNames { get; }

    public IReadOnlyList<string> WeightedMetricLogNames { get; }

    /// <summary>Whether fit needs targets for this output.</summary>
    public bool NeedsTargets => Loss is not null || Metrics.Count > 0 || WeightedMetrics.Count > 0;

    public override string ToString() => Name;
}
