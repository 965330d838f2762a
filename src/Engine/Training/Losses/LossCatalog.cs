using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Training.Compile;

namespace TrainService.Engine.Training.Losses;

/// <summary>The losses compile accepts, by Keras's function names, aliases and class names.</summary>
public static class LossCatalog
{
    static readonly Dictionary<string, string> Canonical = new(StringComparer.Ordinal)
    {
        ["mse"] = "mean_squared_error",
        ["meansquarederror"] = "mean_squared_error",
        ["mae"] = "mean_absolute_error",
        ["meanabsoluteerror"] = "mean_absolute_error",
        ["huber"] = "huber",
        ["huberloss"] = "huber",
        ["categoricalcrossentropy"] = "categorical_crossentropy",
        ["sparsecategoricalcrossentropy"] = "sparse_categorical_crossentropy",
        ["binarycrossentropy"] = "binary_crossentropy",
    };

    /// <summary>Names a client may write, for error messages.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["mse", "mae", "huber", "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"];

    public static bool IsKnown(string name) => Canonical.ContainsKey(OptionObject.Normalize(name));

    /// <summary>A loss from a name or an object; null after reporting why not.</summary>
    public static Loss? Parse(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        var spec = OptionObject.Read(node, pointer, diagnostics, "loss");
        return spec is null ? null : Create(spec, diagnostics);
    }

    public static Loss? Create(OptionObject spec, DiagnosticBag diagnostics)
    {
        if (!Canonical.TryGetValue(spec.Key, out var name))
        {
            diagnostics.Error(spec.Pointer, OptionObject.Unknown("loss", spec.Type, Names));
            return null;
        }
        int errors = diagnostics.ErrorCount;
        var loss = spec.ReadConfig(diagnostics, config =>
        {
            AcceptKerasKeys(config);
            return name switch
            {
                "mean_squared_error" => (Loss)new MeanSquaredError(),
                "mean_absolute_error" => new MeanAbsoluteError(),
                "huber" => new Huber(config.Double("delta", 1.0, min: 0, minExclusive: true)),
                "categorical_crossentropy" => new CategoricalCrossentropy(config.Bool("from_logits", false), LabelSmoothing(config)),
                "sparse_categorical_crossentropy" => SparseCategorical(config),
                _ => new BinaryCrossentropy(config.Bool("from_logits", false), LabelSmoothing(config)),
            };
        });
        return diagnostics.ErrorCount > errors ? null : loss;
    }

    static Loss SparseCategorical(LayerConfig config)
    {
        var fromLogits = config.Bool("from_logits", false);
        config.Expect("ignore_class", null, "ignoring a class in sparse labels is not implemented.");
        return new SparseCategoricalCrossentropy(fromLogits);
    }

    static double LabelSmoothing(LayerConfig config) => config.Double("label_smoothing", 0, min: 0, max: 1);

    /// <summary>Keys Keras writes into a loss's config that change nothing here, or that we hold at Keras's default.</summary>
    static void AcceptKerasKeys(LayerConfig config)
    {
        config.Accept("name", "dtype");
        // Keras 3 writes sum_over_batch_size, Keras 2 auto: the same reduction, the only one implemented.
        config.String("reduction", "sum_over_batch_size", "sum_over_batch_size", "auto");
        config.Expect("axis", -1, "losses act on the last axis.");
    }
}
