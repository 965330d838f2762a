using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Core;

/// <summary>keras.layers.Dense: activation(x·kernel + bias) on the last axis.</summary>
[LayerType("Dense")]
public sealed class DenseLayer : Layer
{
    public int Units { get; private set; }
    public Activation Activation { get; private set; } = Activation.Linear;
    public bool UseBias { get; private set; }
    public Initializer KernelInitializer { get; private set; } = Initializer.GlorotUniform;
    public Initializer BiasInitializer { get; private set; } = Initializer.Zeros;
    public Regularizer? KernelRegularizer { get; private set; }
    public Regularizer? BiasRegularizer { get; private set; }
    public Constraint? KernelConstraint { get; private set; }
    public Constraint? BiasConstraint { get; private set; }

    protected override void Configure(LayerConfig config)
    {
        Units = config.RequiredInt("units", min: 1);
        Activation = config.Activation("activation");
        UseBias = config.Bool("use_bias", true);
        KernelInitializer = config.Initializer("kernel_initializer", Initializer.GlorotUniform);
        BiasInitializer = config.Initializer("bias_initializer", Initializer.Zeros);
        KernelRegularizer = config.Regularizer("kernel_regularizer");
        BiasRegularizer = config.Regularizer("bias_regularizer");
        config.NoActivityRegularizer();
        KernelConstraint = config.Constraint("kernel_constraint");
        BiasConstraint = config.Constraint("bias_constraint");
        config.Expect("lora_rank", null, "LoRA adapters are not implemented.");
        config.Expect("lora_alpha", null, "LoRA adapters are not implemented.");
        config.Expect("quantization_config", null, "quantized layers are not implemented.");
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank < 2) return check.Fail($"Dense needs inputs of rank 2 or more, not {shape}.");
        if (shape.Last is null) return check.Fail($"Dense needs the last axis of its input defined, not {shape}.");
        return [new TensorInfo(shape.WithLast(Units))];
    }

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        long inputDim = inputs[0].Shape.Last!.Value;
        var weights = new List<WeightSpec> { new("kernel", [inputDim, Units], true, KernelInitializer, KernelRegularizer, KernelConstraint) };
        if (UseBias) weights.Add(new("bias", [Units], true, BiasInitializer, BiasRegularizer, BiasConstraint));
        return weights;
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new DenseModule(this, DeclareWeights(inputs), context);

    sealed class DenseModule : UnaryLayerModule
    {
        readonly Tensor weight;
        readonly Tensor? bias;
        readonly Func<Tensor, Tensor> activation;

        public DenseModule(DenseLayer layer, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer.Name, context)
        {
            // torch's linear wants (out, in): the transpose of Keras's kernel.
            weight = AddWeight("kernel", specs[0], layer.Trainable, k => k.t(), w => w.t());
            if (layer.UseBias) bias = AddWeight("bias", specs[1], layer.Trainable);
            activation = layer.Activation.Apply;
        }

        public override Tensor Forward(Tensor input) => activation(nn.functional.linear(input, weight, bias));
    }
}
