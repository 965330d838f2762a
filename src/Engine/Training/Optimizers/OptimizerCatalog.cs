using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Training.Compile;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>The optimizers compile accepts: "sgd", "rmsprop", "adam", "adamw", "adagrad", by name or with settings.</summary>
public static class OptimizerCatalog
{
    public static IReadOnlyList<string> Names { get; } = ["sgd", "rmsprop", "adam", "adamw", "adagrad"];

    public static OptimizerSpec? Parse(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        var spec = OptionObject.Read(node, pointer, diagnostics, "optimizer");
        if (spec is null) return null;
        if (!Names.Contains(spec.Key))
        {
            diagnostics.Error(spec.Pointer, OptionObject.Unknown("optimizer", spec.Type, Names));
            return null;
        }
        int errors = diagnostics.ErrorCount;
        var result = spec.ReadConfig(diagnostics, config =>
        {
            OptimizerSpec typed = spec.Key switch
            {
                "sgd" => new SgdSpec
                {
                    Momentum = config.Double("momentum", 0, min: 0, max: 1),
                    Nesterov = config.Bool("nesterov", false),
                },
                "rmsprop" => new RmsPropSpec
                {
                    Rho = config.Double("rho", 0.9, min: 0, max: 1),
                    Momentum = config.Double("momentum", 0, min: 0, max: 1),
                    Epsilon = Epsilon(config),
                    Centered = config.Bool("centered", false),
                },
                "adam" or "adamw" => new AdamSpec(spec.Key == "adamw")
                {
                    Beta1 = config.Double("beta_1", 0.9, min: 0, max: 1),
                    Beta2 = config.Double("beta_2", 0.999, min: 0, max: 1),
                    Epsilon = Epsilon(config),
                    Amsgrad = config.Bool("amsgrad", false),
                },
                _ => new AdagradSpec
                {
                    InitialAccumulatorValue = config.Double("initial_accumulator_value", 0.1, min: 0),
                    Epsilon = Epsilon(config),
                },
            };
            return ReadCommon(config, typed);
        });
        return diagnostics.ErrorCount > errors ? null : result;
    }

    // Keras 2 wrote epsilon null for "the backend's epsilon", 1e-7.
    static double Epsilon(LayerConfig config) =>
        config.Raw("epsilon") is null ? 1e-7 : config.Double("epsilon", 1e-7, min: 0, minExclusive: true);

    static OptimizerSpec ReadCommon(LayerConfig config, OptimizerSpec typed)
    {
        double learningRate = typed.LearningRate;
        if (config.Has("learning_rate") && config.Has("lr"))
            config.Error("lr", "Give learning_rate or Keras 2's lr, not both.");
        foreach (var key in new[] { "learning_rate", "lr" })
        {
            var raw = config.Raw(key);
            if (raw is JsonObject)
                config.Error(key, "Learning-rate schedules are not implemented; give a number (ReduceLROnPlateau lowers it during fit).");
            else if (raw is not null)
                learningRate = config.Double(key, learningRate, min: 0, minExclusive: true);
        }
        double? Positive(string key) => config.Raw(key) is null ? null : config.Double(key, 1, min: 0, minExclusive: true);
        var clipNorm = Positive("clipnorm");
        var globalClipNorm = Positive("global_clipnorm");
        var clipValue = Positive("clipvalue");
        if (new[] { clipNorm, globalClipNorm, clipValue }.Count(c => c is not null) > 1)
            config.Error("clipnorm", "Give at most one of clipnorm, global_clipnorm and clipvalue (Keras's rule).");
        var weightDecay = config.Raw("weight_decay") is null ? typed.WeightDecay : config.Double("weight_decay", 0, min: 0);
        var decay = config.Double("decay", 0, min: 0);

        config.Accept("name", "jit_compile", "is_legacy_optimizer", "ema_momentum", "ema_overwrite_frequency");
        config.Expect("use_ema", false, "exponential moving averages of the weights are not implemented.");
        config.Expect("loss_scale_factor", null, "loss scaling is for mixed precision, which training here does not use.");
        config.Expect("gradient_accumulation_steps", null, "gradient accumulation is not implemented.");
        return typed with
        {
            LearningRate = learningRate,
            ClipNorm = clipNorm,
            GlobalClipNorm = globalClipNorm,
            ClipValue = clipValue,
            WeightDecay = weightDecay,
            Decay = decay,
        };
    }
}
