using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Training.Compile;

namespace TrainService.Engine.Training.Callbacks;

/// <summary>Callbacks a fit request may list: {"type": "EarlyStopping", "monitor": "val_loss", "patience": 2}, with Keras's argument names and defaults.</summary>
public static class CallbackCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN"];

    /// <param name="checkpointDirectory">Where ModelCheckpoint writes; a request naming ModelCheckpoint without one is an error.</param>
    public static Callback? Parse(JsonNode? node, string pointer, DiagnosticBag diagnostics, string? checkpointDirectory)
    {
        var spec = OptionObject.Read(node, pointer, diagnostics, "callback");
        if (spec is null) return null;
        var type = Names.FirstOrDefault(n => OptionObject.Normalize(n) == spec.Key);
        if (type is null)
        {
            diagnostics.Error(spec.Pointer, OptionObject.Unknown("callback", spec.Type, Names));
            return null;
        }
        int errors = diagnostics.ErrorCount;
        var callback = spec.ReadConfig(diagnostics, config =>
        {
            // Keras's verbose only prints; the observer reports instead.
            config.Accept("verbose");
            return type switch
            {
                "EarlyStopping" => (Callback)new EarlyStopping
                {
                    Pointer = pointer,
                    Monitor = config.String("monitor", "val_loss"),
                    MinDelta = config.Double("min_delta", 0),
                    Patience = config.Int("patience", 0, min: 0),
                    Mode = Mode(config),
                    Baseline = config.Raw("baseline") is null ? null : config.Double("baseline", 0),
                    RestoreBestWeights = config.Bool("restore_best_weights", false),
                    StartFromEpoch = config.Int("start_from_epoch", 0, min: 0),
                },
                "ReduceLROnPlateau" => new ReduceLROnPlateau
                {
                    Pointer = pointer,
                    Monitor = config.String("monitor", "val_loss"),
                    Factor = Factor(config),
                    Patience = config.Int("patience", 10, min: 0),
                    Mode = Mode(config),
                    MinDelta = config.Double("min_delta", 1e-4, min: 0),
                    Cooldown = config.Int("cooldown", 0, min: 0),
                    MinLearningRate = MinLearningRate(config),
                },
                "ModelCheckpoint" => Checkpoint(config, pointer, checkpointDirectory),
                _ => new TerminateOnNaN { Pointer = pointer },
            };
        });
        return diagnostics.ErrorCount > errors ? null : callback;
    }

    static string Mode(LayerConfig config) => config.String("mode", "auto", "auto", "min", "max");

    static double Factor(LayerConfig config)
    {
        var factor = config.Double("factor", 0.1, min: 0, minExclusive: true);
        if (factor >= 1) config.Error("factor", "ReduceLROnPlateau does not support a factor >= 1.0.");
        return factor;
    }

    static double MinLearningRate(LayerConfig config)
    {
        // Keras 2 called it min_lr.
        var min = config.Double("min_lr", 0, min: 0);
        return config.Raw("min_learning_rate") is null ? min : config.Double("min_learning_rate", 0, min: 0);
    }

    static Callback Checkpoint(LayerConfig config, string pointer, string? directory)
    {
        var filePath = config.String("filepath", "");
        if (config.Raw("filepath") is null) config.Error("filepath", "ModelCheckpoint needs a filepath, relative to the run's checkpoint directory.");
        else if (ModelCheckpoint.Problem(filePath) is { } problem) config.Error("filepath", problem);
        if (directory is null) config.Error("filepath", "This service gives no checkpoint directory for the run, so ModelCheckpoint cannot save.");
        config.String("save_freq", "epoch", "epoch");
        return new ModelCheckpoint
        {
            Pointer = pointer,
            Directory = directory ?? "",
            FilePath = filePath,
            Monitor = config.String("monitor", "val_loss"),
            Mode = Mode(config),
            SaveBestOnly = config.Bool("save_best_only", false),
            SaveWeightsOnly = config.Bool("save_weights_only", false),
            InitialValueThreshold = config.Raw("initial_value_threshold") is null ? null : config.Double("initial_value_threshold", 0),
        };
    }
}
