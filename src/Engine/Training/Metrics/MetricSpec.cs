using TrainService.Engine.Training.Losses;

namespace TrainService.Engine.Training.Metrics;

/// <summary>What a metric's choice of function may depend on: the shapes of one head's targets and predictions, and its loss.</summary>
public sealed record HeadShapes(int TargetRank, long? TargetLastDim, int PredictionRank, long? PredictionLastDim, Loss? Loss)
{
    /// <summary>Keras: y_pred's last axis is 1.</summary>
    public bool IsBinary => PredictionLastDim == 1;

    /// <summary>Keras: integer labels, when y_true has a lower rank than y_pred or a last axis of 1 where y_pred has classes.</summary>
    public bool IsSparse => TargetRank < PredictionRank || (TargetLastDim == 1 && PredictionLastDim > 1);
}

/// <summary>
/// A metric as compile named it: the name logs use (as written: "acc" stays "acc") and how to make
/// the metric once a head's shapes are known (Keras resolves "accuracy" from them at the first batch).
/// </summary>
public sealed class MetricSpec(string name, string kind, bool higherIsBetter, Func<HeadShapes, Metric> create, string pointer)
{
    /// <summary>The metric as it was written (a name or an object), for saving compile settings.</summary>
    public System.Text.Json.Nodes.JsonNode? Source { get; init; }

    public string Name { get; } = name;

    /// <summary>The canonical function name (accuracy, binary_accuracy, mean_absolute_error, auc, ...).</summary>
    public string Kind { get; } = kind;

    public bool HigherIsBetter { get; } = higherIsBetter;

    /// <summary>Where the metric was written in the request.</summary>
    public string Pointer { get; } = pointer;

    public Metric Create(HeadShapes shapes) => create(shapes);

    public override string ToString() => Name;
}
