using System.Text.Json.Nodes;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>
/// An optimizer's settings, with Keras 3's defaults. The settings every Keras optimizer has live
/// here; each type adds its own.
/// </summary>
public abstract record OptimizerSpec
{
    /// <summary>Keras's name for the type ("rmsprop", "adam", ...).</summary>
    public abstract string Type { get; }

    public double LearningRate { get; init; } = 0.001;

    /// <summary>Scale each variable's gradient down to this L2 norm.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Scale all gradients together down to this global L2 norm.</summary>
    public double? GlobalClipNorm { get; init; }

    /// <summary>Clip each gradient element to [−v, v].</summary>
    public double? ClipValue { get; init; }

    /// <summary>Decoupled weight decay: variable −= variable · weight_decay · learning_rate before each update.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Keras 2's time-based decay: learning_rate / (1 + decay · iterations).</summary>
    public double Decay { get; init; }

    public abstract KerasOptimizer Create();

    /// <summary>The settings in Keras's config words, every default written out.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["type"] = Type, ["learning_rate"] = LearningRate };
        AddSettings(json);
        json["weight_decay"] = WeightDecay == 0 ? null : WeightDecay;
        json["clipnorm"] = ClipNorm;
        json["global_clipnorm"] = GlobalClipNorm;
        json["clipvalue"] = ClipValue;
        if (Decay != 0) json["decay"] = Decay;
        return json;
    }

    protected abstract void AddSettings(JsonObject json);
}

public sealed record SgdSpec : OptimizerSpec
{
    public SgdSpec() => LearningRate = 0.01;

    public override string Type => "sgd";

    public double Momentum { get; init; }

    public bool Nesterov { get; init; }

    public override KerasOptimizer Create() => new Sgd(this);

    protected override void AddSettings(JsonObject json)
    {
        json["momentum"] = Momentum;
        json["nesterov"] = Nesterov;
    }
}

public sealed record RmsPropSpec : OptimizerSpec
{
    public override string Type => "rmsprop";

    public double Rho { get; init; } = 0.9;

    public double Momentum { get; init; }

    public double Epsilon { get; init; } = 1e-7;

    public bool Centered { get; init; }

    public override KerasOptimizer Create() => new RmsProp(this);

    protected override void AddSettings(JsonObject json)
    {
        json["rho"] = Rho;
        json["momentum"] = Momentum;
        json["epsilon"] = Epsilon;
        json["centered"] = Centered;
    }
}

/// <summary>Adam, and AdamW: the same update with decoupled weight decay (0.004 by default).</summary>
public sealed record AdamSpec : OptimizerSpec
{
    public AdamSpec(bool decoupledWeightDecay = false)
    {
        IsAdamW = decoupledWeightDecay;
        if (decoupledWeightDecay) WeightDecay = 0.004;
    }

    public bool IsAdamW { get; }

    public override string Type => IsAdamW ? "adamw" : "adam";

    public double Beta1 { get; init; } = 0.9;

    public double Beta2 { get; init; } = 0.999;

    public double Epsilon { get; init; } = 1e-7;

    public bool Amsgrad { get; init; }

    public override KerasOptimizer Create() => new Adam(this);

    protected override void AddSettings(JsonObject json)
    {
        json["beta_1"] = Beta1;
        json["beta_2"] = Beta2;
        json["epsilon"] = Epsilon;
        json["amsgrad"] = Amsgrad;
    }
}

public sealed record AdagradSpec : OptimizerSpec
{
    public override string Type => "adagrad";

    public double InitialAccumulatorValue { get; init; } = 0.1;

    public double Epsilon { get; init; } = 1e-7;

    public override KerasOptimizer Create() => new Adagrad(this);

    protected override void AddSettings(JsonObject json)
    {
        json["initial_accumulator_value"] = InitialAccumulatorValue;
        json["epsilon"] = Epsilon;
    }
}
