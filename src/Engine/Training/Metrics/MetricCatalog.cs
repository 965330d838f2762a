using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Losses;

namespace TrainService.Engine.Training.Metrics;

/// <summary>The metrics compile accepts: Keras's names and aliases, and every loss by its name.</summary>
public static class MetricCatalog
{
    static readonly Dictionary<string, string> Canonical = new(StringComparer.Ordinal)
    {
        ["acc"] = "accuracy",
        ["accuracy"] = "accuracy",
        ["binaryaccuracy"] = "binary_accuracy",
        ["categoricalaccuracy"] = "categorical_accuracy",
        ["sparsecategoricalaccuracy"] = "sparse_categorical_accuracy",
        ["topkcategoricalaccuracy"] = "top_k_categorical_accuracy",
        ["sparsetopkcategoricalaccuracy"] = "sparse_top_k_categorical_accuracy",
        ["mae"] = "mean_absolute_error",
        ["meanabsoluteerror"] = "mean_absolute_error",
        ["mse"] = "mean_squared_error",
        ["meansquarederror"] = "mean_squared_error",
        ["auc"] = "auc",
    };

    public static IReadOnlyList<string> Names { get; } =
    [
        "accuracy", "acc", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mae", "mse", "auc",
        "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "huber",
    ];

    /// <summary>A metric from a name or an object; null after reporting why not.</summary>
    public static MetricSpec? Parse(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        var spec = OptionObject.Read(node, pointer, diagnostics, "metric");
        if (spec is null) return null;
        if (!Canonical.TryGetValue(spec.Key, out var kind))
        {
            if (LossCatalog.IsKnown(spec.Type))
                return LossAsMetric(spec, diagnostics) is { } lossMetric ? new MetricSpec(lossMetric.Name, lossMetric.Kind, false, lossMetric.Create, pointer) { Source = node?.DeepClone() } : null;
            diagnostics.Error(pointer, OptionObject.Unknown("metric", spec.Type, Names));
            return null;
        }
        int errors = diagnostics.ErrorCount;
        var result = spec.ReadConfig(diagnostics, config =>
        {
            config.Accept("dtype");
            var name = NameOf(spec, config, kind);
            return kind switch
            {
                "accuracy" => new MetricSpec(name, kind, true, shapes => Accuracy(name, shapes), pointer),
                "binary_accuracy" => Binary(name, config.Double("threshold", 0.5), pointer),
                "categorical_accuracy" => Mean(name, kind, TargetForm.Dense, MetricFunctions.CategoricalAccuracy, pointer),
                "sparse_categorical_accuracy" => Mean(name, kind, TargetForm.Labels, MetricFunctions.SparseCategoricalAccuracy, pointer),
                "top_k_categorical_accuracy" => TopK(name, kind, TargetForm.Dense, config.Int("k", 5, min: 1), pointer),
                "sparse_top_k_categorical_accuracy" => TopK(name, kind, TargetForm.Labels, config.Int("k", 5, min: 1), pointer),
                "mean_absolute_error" => Mean(name, kind, TargetForm.Dense, MetricFunctions.MeanAbsoluteError, pointer, higherIsBetter: false),
                "mean_squared_error" => Mean(name, kind, TargetForm.Dense, MetricFunctions.MeanSquaredError, pointer, higherIsBetter: false),
                _ => Auc(name, config, pointer),
            };
        });
        return diagnostics.ErrorCount > errors ? null : new MetricSpec(result.Name, result.Kind, result.HigherIsBetter, result.Create, pointer) { Source = node?.DeepClone() };
    }

    /// <summary>Keras names a metric given as a string by that string, and a metric object by its name setting or its class.</summary>
    static string NameOf(OptionObject spec, LayerConfig config, string kind)
    {
        var name = config.String("name", "");
        return name.Length > 0 ? name : spec.IsName ? spec.Type : kind;
    }

    /// <summary>
    /// "accuracy"/"acc": binary when the head has one unit or is trained with binary_crossentropy,
    /// sparse when the targets are class ids (from the shapes, or a sparse loss), categorical otherwise.
    /// Keras 3 decides from the shapes alone; Keras 2 also looked at the loss, which is what makes a
    /// multi-label sigmoid head get per-label binary accuracy rather than a meaningless argmax match.
    /// </summary>
    static Metric Accuracy(string name, HeadShapes shapes)
    {
        if (shapes.IsBinary || shapes.Loss is BinaryCrossentropy)
            return new MeanMetric(name, true, TargetForm.Dense, (t, p) => MetricFunctions.BinaryAccuracy(t, p));
        if (shapes.IsSparse || shapes.Loss is SparseCategoricalCrossentropy)
            return new MeanMetric(name, true, TargetForm.Labels, MetricFunctions.SparseCategoricalAccuracy);
        return new MeanMetric(name, true, TargetForm.Dense, MetricFunctions.CategoricalAccuracy);
    }

    static MetricSpec Binary(string name, double threshold, string pointer) =>
        Mean(name, "binary_accuracy", TargetForm.Dense, (t, p) => MetricFunctions.BinaryAccuracy(t, p, threshold), pointer);

    static MetricSpec TopK(string name, string kind, TargetForm form, int k, string pointer) =>
        Mean(name, kind, form, form == TargetForm.Labels
            ? (t, p) => MetricFunctions.SparseTopKCategoricalAccuracy(t, p, k)
            : (t, p) => MetricFunctions.TopKCategoricalAccuracy(t, p, k), pointer);

    static MetricSpec Mean(string name, string kind, TargetForm form, Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> values, string pointer, bool higherIsBetter = true) =>
        new(name, kind, higherIsBetter, _ => new MeanMetric(name, higherIsBetter, form, values), pointer);

    static MetricSpec Auc(string name, LayerConfig config, string pointer)
    {
        int thresholds = config.Int("num_thresholds", 200, min: 2);
        bool fromLogits = config.Bool("from_logits", false);
        config.String("curve", "ROC", "ROC");
        config.String("summation_method", "interpolation", "interpolation");
        config.Expect("multi_label", false, "AUC over all labels together is implemented, not one per label.");
        config.Expect("thresholds", null, "AUC uses evenly spaced thresholds (num_thresholds).");
        config.Expect("label_weights", null, "label weights are not implemented.");
        config.Expect("num_labels", null, "AUC over all labels together is implemented, not one per label.");
        return new MetricSpec(name, "auc", true, _ => new AucMetric(name, thresholds, fromLogits), pointer);
    }

    /// <summary>A loss used as a metric: its mean over the epoch, unweighted by loss weights.</summary>
    static MetricSpec? LossAsMetric(OptionObject spec, DiagnosticBag diagnostics)
    {
        var nameOverride = spec.Config["name"] is JsonValue v && v.TryGetText(out var n) ? n : null;
        var loss = LossCatalog.Create(spec, diagnostics);
        if (loss is null) return null;
        var name = spec.IsName ? spec.Type : nameOverride ?? loss.Name;
        return new MetricSpec(name, loss.Name, false, _ => new MeanMetric(name, false, loss.Target, loss.Compute), spec.Pointer);
    }
}
