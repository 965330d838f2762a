using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>
/// What Keras's LSTM, GRU and SimpleRNN share (keras.layers.RNN and its cells): the config keys,
/// the shapes of a call, and the three weights kernel (in, G·u), recurrent_kernel (u, G·u) and
/// bias, where G is the number of gates. A call takes the sequence (batch, time, features) and,
/// optionally, one initial state per carried state (Keras's initial_state, as extra inputs).
/// </summary>
public abstract class RecurrentLayer : Layer
{
    public int Units { get; private set; }
    public Activation Activation { get; private set; } = Activation.Linear;

    /// <summary>The gates' activation (LSTM and GRU; SimpleRNN has no gates).</summary>
    public Activation RecurrentActivation { get; private set; } = Activation.Linear;

    public bool UseBias { get; private set; }
    public Initializer KernelInitializer { get; private set; } = Initializer.GlorotUniform;
    public Initializer RecurrentInitializer { get; private set; } = Initializer.Orthogonal;
    public Initializer BiasInitializer { get; private set; } = Initializer.Zeros;
    public Regularizer? KernelRegularizer { get; private set; }
    public Regularizer? RecurrentRegularizer { get; private set; }
    public Regularizer? BiasRegularizer { get; private set; }
    public Constraint? KernelConstraint { get; private set; }
    public Constraint? RecurrentConstraint { get; private set; }
    public Constraint? BiasConstraint { get; private set; }

    /// <summary>Fraction of the inputs dropped at training (one mask per sequence).</summary>
    public double Dropout { get; private set; }

    /// <summary>Fraction of the carried state dropped at training (one mask per sequence).</summary>
    public double RecurrentDropout { get; private set; }

    /// <summary>Keras's implementation: 1 computes each gate on its own (and draws one dropout mask per gate).</summary>
    public int Implementation { get; private set; } = 2;

    public int? Seed { get; private set; }
    public bool ReturnSequences { get; private set; }
    public bool ReturnState { get; private set; }
    public bool GoBackwards { get; private set; }

    /// <summary>Gate blocks in the kernels: 4 for LSTM, 3 for GRU, 1 for SimpleRNN.</summary>
    public abstract int Gates { get; }

    /// <summary>States carried from step to step: [h, c] for LSTM, [h] otherwise.</summary>
    public virtual int StateCount => 1;

    /// <summary>
    /// Keras 3 draws one dropout mask per gate when it computes the gates one by one: with
    /// implementation 1, which any recurrent_dropout forces (lstm.py, gru.py __init__).
    /// </summary>
    public virtual bool DropoutMaskPerGate => Gates > 1 && (Implementation == 1 || RecurrentDropout > 0);

    /// <summary>True when torch's own recurrent module computes exactly this layer (fixed tanh/sigmoid gates).</summary>
    public abstract bool HasNativeCell { get; }

    public override int MaxInputs => 1 + StateCount;

    protected override void Configure(LayerConfig config)
    {
        Units = config.RequiredInt("units", min: 1);
        Activation = ReadActivation(config, "activation", "tanh");
        if (Gates > 1) RecurrentActivation = ReadActivation(config, "recurrent_activation", "sigmoid");
        ConfigureCell(config);
        UseBias = config.Bool("use_bias", true);
        KernelInitializer = config.Initializer("kernel_initializer", Initializer.GlorotUniform);
        RecurrentInitializer = config.Initializer("recurrent_initializer", Initializer.Orthogonal);
        BiasInitializer = config.Initializer("bias_initializer", Initializer.Zeros);
        KernelRegularizer = config.Regularizer("kernel_regularizer");
        RecurrentRegularizer = config.Regularizer("recurrent_regularizer");
        BiasRegularizer = config.Regularizer("bias_regularizer");
        config.NoActivityRegularizer();
        KernelConstraint = config.Constraint("kernel_constraint");
        RecurrentConstraint = config.Constraint("recurrent_constraint");
        BiasConstraint = config.Constraint("bias_constraint");
        Dropout = DropoutRate(config, "dropout");
        RecurrentDropout = DropoutRate(config, "recurrent_dropout");
        Seed = config.OptionalInt("seed");
        Implementation = config.Int("implementation", 2, min: 0, max: 2);

        ReturnSequences = config.Bool("return_sequences", false);
        ReturnState = config.Bool("return_state", false);
        GoBackwards = config.Bool("go_backwards", false);
        config.Expect("stateful", false, "stateful RNNs carry states from one batch to the next, which training here does not do; pass the state as an initial state input instead.");
        config.Expect("time_major", false, "inputs are (batch, time, features).");
        // Unrolling and cuDNN change how the loop runs, not what it computes.
        config.Bool("unroll", false);
        ReadUseCudnn(config);
        // Only meaningful with masked inputs, which the engine does not produce.
        config.Bool("zero_output_for_mask", false);
    }

    /// <summary>Keys of one cell type alone (unit_forget_bias, reset_after).</summary>
    protected virtual void ConfigureCell(LayerConfig config) { }

    /// <summary>An activation key where JSON null means linear (Keras's None), and absence the default.</summary>
    static Activation ReadActivation(LayerConfig config, string key, string defaultName) =>
        config.Has(key) && config.Raw(key) is null ? Activation.Linear : config.Activation(key, defaultName);

    static double DropoutRate(LayerConfig config, string key)
    {
        var rate = config.Double(key, 0, min: 0, max: 1);
        if (rate == 1)
        {
            // Keras silently skips a rate of 1 (it only drops for 0 < rate < 1); saying so is kinder.
            config.Error(key, $"'{key}' = 1 would drop everything (Keras then ignores it); use a rate below 1, or 0 for none.");
            return 0;
        }
        return rate;
    }

    static void ReadUseCudnn(LayerConfig config)
    {
        var raw = config.Raw("use_cudnn");
        if (raw is null) return;
        if (raw is JsonValue v && (v.TryGetValue<bool>(out _) || (v.TryGetText(out var s) && s == "auto"))) return;
        config.Error("use_cudnn", $"'use_cudnn' must be \"auto\", true or false, not {raw.ToJsonString()}.");
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank != 3)
            return check.Fail($"{Type} needs a sequence of shape (batch, timesteps, features), not {shape}.");
        if (shape.Last is null)
            return check.Fail($"{Type} needs the features axis of its input defined, not {shape}.");
        if (inputs.Count != 1 && inputs.Count != 1 + StateCount)
            return check.Fail($"{Type} takes the sequence alone or with {StateCount} initial state{(StateCount == 1 ? "" : "s")} ({StateNames}), not {inputs.Count - 1}.");
        for (int i = 1; i < inputs.Count; i++)
        {
            var state = inputs[i].Shape;
            if (state.Rank != 2 || !Shape.Compatible(state.Last, Units))
                return check.Fail($"{Type}'s initial state {i} must have shape (batch, {Units}), not {state}.");
        }
        var output = ReturnSequences ? new Shape([null, shape[1], Units]) : new Shape([null, Units]);
        var outputs = new List<TensorInfo> { new(output) };
        if (ReturnState)
            for (int i = 0; i < StateCount; i++) outputs.Add(new TensorInfo(new Shape([null, Units])));
        return outputs;
    }

    string StateNames => StateCount == 2 ? "h, c" : "h";

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        long inputDim = inputs[0].Shape.Last!.Value;
        long width = (long)Gates * Units;
        var weights = new List<WeightSpec>
        {
            new("kernel", [inputDim, width], true, KernelInitializer, KernelRegularizer, KernelConstraint),
            new("recurrent_kernel", [Units, width], true, RecurrentInitializer, RecurrentRegularizer, RecurrentConstraint),
        };
        if (UseBias) weights.Add(new("bias", BiasShape, true, BiasInitializerForBuild, BiasRegularizer, BiasConstraint));
        return weights;
    }

    /// <summary>Keras's bias shape: (G·u,), or (2, 3u) for GRU with reset_after.</summary>
    protected virtual long[] BiasShape => [(long)Gates * Units];

    /// <summary>The bias initializer as build() applies it (LSTM's unit_forget_bias changes it).</summary>
    protected virtual Initializer BiasInitializerForBuild => BiasInitializer;
}
