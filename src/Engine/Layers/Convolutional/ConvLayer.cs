using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Convolutional;

/// <summary>
/// keras.layers.Conv1D and Conv2D: kernel (k..., in/groups, filters) and bias (filters,); torch's
/// weight is (filters, in/groups, k...).
/// </summary>
public abstract class ConvLayer : ConvolutionLayer
{
    public int Filters { get; private set; }
    public int Groups { get; private set; } = 1;
    public Initializer KernelInitializer { get; private set; } = Initializer.GlorotUniform;
    public Regularizer? KernelRegularizer { get; private set; }
    public Constraint? KernelConstraint { get; private set; }

    protected override void ConfigureKernel(LayerConfig config)
    {
        Filters = config.RequiredInt("filters", min: 1);
        Groups = config.Int("groups", 1, min: 1);
        if (Filters % Groups != 0)
            config.Error("groups", $"'filters' ({Filters}) must be divisible by 'groups' ({Groups}).");
        KernelInitializer = config.Initializer("kernel_initializer", Initializer.GlorotUniform);
        KernelRegularizer = config.Regularizer("kernel_regularizer");
        KernelConstraint = config.Constraint("kernel_constraint");
        config.Expect("lora_rank", null, "LoRA adapters are not implemented.");
        config.Expect("lora_alpha", null, "LoRA adapters are not implemented.");
    }

    protected override int? OutputChannels(int inputChannels, ShapeCheck check)
    {
        if (inputChannels % Groups == 0) return Filters;
        check.Fail($"{Type} with {Groups} groups needs input channels divisible by {Groups}, but its input has {inputChannels}.");
        return null;
    }

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        long channels = inputs[0].Shape.Last!.Value;
        var weights = new List<WeightSpec>
        {
            new("kernel", [.. Windows.Select(w => (long)w.Size), channels / Groups, Filters], true, KernelInitializer, KernelRegularizer, KernelConstraint),
        };
        if (UseBias) weights.Add(BiasSpec(Filters));
        return weights;
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new ConvModule(this, DeclareWeights(inputs), context);

    sealed class ConvModule : ConvolutionModule
    {
        readonly Tensor kernel;
        readonly Tensor? bias;
        readonly long groups;

        public ConvModule(ConvLayer layer, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer, context)
        {
            kernel = AddKernel("kernel", specs[0], layer.Trainable);
            if (layer.UseBias) bias = AddWeight("bias", specs[1], layer.Trainable);
            groups = layer.Groups;
        }

        protected override Tensor Compute(Tensor channelsLast) => Convolve(channelsLast, kernel, bias, Windows, groups);
    }
}

[LayerType("Conv1D", "Convolution1D")]
public sealed class Conv1DLayer : ConvLayer
{
    public override int Rank => 1;

    protected override bool AllowsCausal => true;
}

[LayerType("Conv2D", "Convolution2D")]
public sealed class Conv2DLayer : ConvLayer
{
    public override int Rank => 2;
}
