using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Convolutional;

/// <summary>
/// What depthwise and separable convolutions share: depth_multiplier and the depthwise kernel
/// (k..., in, depth_multiplier), each input channel convolved with its own filters (torch: a
/// convolution with one group per input channel).
/// </summary>
public abstract class DepthwiseConvolutionLayer : ConvolutionLayer
{
    public int DepthMultiplier { get; private set; } = 1;
    public Initializer DepthwiseInitializer { get; private set; } = Initializer.GlorotUniform;
    public Regularizer? DepthwiseRegularizer { get; private set; }
    public Constraint? DepthwiseConstraint { get; private set; }

    protected override void ConfigureKernel(LayerConfig config)
    {
        DepthMultiplier = config.Int("depth_multiplier", 1, min: 1);
        DepthwiseInitializer = config.Initializer("depthwise_initializer", Initializer.GlorotUniform);
        DepthwiseRegularizer = config.Regularizer("depthwise_regularizer");
        DepthwiseConstraint = config.Constraint("depthwise_constraint");
        // Keras 2 writes its Conv base class's groups too; a depthwise convolution is grouped by channel regardless.
        config.Expect("groups", 1, "a depthwise convolution groups by input channel; 'groups' applies to Conv1D/Conv2D.");
    }

    protected WeightSpec DepthwiseSpec(string name, long channels) =>
        new(name, [.. Windows.Select(w => (long)w.Size), channels, DepthMultiplier], true, DepthwiseInitializer, DepthwiseRegularizer, DepthwiseConstraint);
}

/// <summary>keras.layers.DepthwiseConv2D: kernel (kh, kw, in, dm) and bias (in·dm,).</summary>
[LayerType("DepthwiseConv2D")]
public sealed class DepthwiseConv2DLayer : DepthwiseConvolutionLayer
{
    public override int Rank => 2;

    protected override int? OutputChannels(int inputChannels, ShapeCheck check) => inputChannels * DepthMultiplier;

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        long channels = inputs[0].Shape.Last!.Value;
        // Keras 3 names it "kernel" (tf.keras: "depthwise_kernel").
        var weights = new List<WeightSpec> { DepthwiseSpec("kernel", channels) };
        if (UseBias) weights.Add(BiasSpec(channels * DepthMultiplier));
        return weights;
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new DepthwiseModule(this, DeclareWeights(inputs), context);

    sealed class DepthwiseModule : ConvolutionModule
    {
        readonly Tensor kernel;
        readonly Tensor? bias;
        readonly long multiplier;

        public DepthwiseModule(DepthwiseConv2DLayer layer, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer, context)
        {
            kernel = AddDepthwiseKernel("kernel", specs[0], layer.Trainable);
            if (layer.UseBias) bias = AddWeight("bias", specs[1], layer.Trainable);
            multiplier = layer.DepthMultiplier;
        }

        protected override Tensor Compute(Tensor channelsLast)
        {
            var output = Depthwise(channelsLast, kernel, multiplier, Windows);
            return bias is null ? output : output + bias;
        }
    }
}

/// <summary>
/// keras.layers.SeparableConv2D: a depthwise convolution (which takes the strides, padding and
/// dilation) and then a 1x1 pointwise one; depthwise_kernel (kh, kw, in, dm), pointwise_kernel
/// (1, 1, in·dm, filters), bias (filters,).
/// </summary>
[LayerType("SeparableConv2D", "SeparableConvolution2D")]
public sealed class SeparableConv2DLayer : DepthwiseConvolutionLayer
{
    public override int Rank => 2;

    public int Filters { get; private set; }
    public Initializer PointwiseInitializer { get; private set; } = Initializer.GlorotUniform;
    public Regularizer? PointwiseRegularizer { get; private set; }
    public Constraint? PointwiseConstraint { get; private set; }

    protected override void ConfigureKernel(LayerConfig config)
    {
        base.ConfigureKernel(config);
        Filters = config.RequiredInt("filters", min: 1);
        PointwiseInitializer = config.Initializer("pointwise_initializer", Initializer.GlorotUniform);
        PointwiseRegularizer = config.Regularizer("pointwise_regularizer");
        PointwiseConstraint = config.Constraint("pointwise_constraint");
        // tf.keras 2 writes its Conv base class's kernel keys too, which the layer never uses.
        config.Accept("kernel_initializer", "kernel_regularizer", "kernel_constraint");
    }

    protected override int? OutputChannels(int inputChannels, ShapeCheck check) => Filters;

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        long channels = inputs[0].Shape.Last!.Value;
        var weights = new List<WeightSpec>
        {
            DepthwiseSpec("depthwise_kernel", channels),
            new("pointwise_kernel", [.. Enumerable.Repeat(1L, Rank), channels * DepthMultiplier, Filters], true, PointwiseInitializer, PointwiseRegularizer, PointwiseConstraint),
        };
        if (UseBias) weights.Add(BiasSpec(Filters));
        return weights;
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new SeparableModule(this, DeclareWeights(inputs), context);

    sealed class SeparableModule : ConvolutionModule
    {
        readonly Tensor depthwise;
        readonly Tensor pointwise;
        readonly Tensor? bias;
        readonly long multiplier;

        public SeparableModule(SeparableConv2DLayer layer, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer, context)
        {
            depthwise = AddDepthwiseKernel("depthwise_kernel", specs[0], layer.Trainable);
            // A 1x1 convolution of channels-last tensors is a linear map of the channels: torch's
            // linear weight (filters, in·dm) is the pointwise kernel (1, 1, in·dm, filters) transposed.
            var kerasShape = specs[1].Shape;
            pointwise = AddWeight("pointwise_kernel", specs[1], layer.Trainable,
                k => k.reshape(kerasShape[^2], kerasShape[^1]).t(), w => w.t().reshape(kerasShape));
            if (layer.UseBias) bias = AddWeight("bias", specs[2], layer.Trainable);
            multiplier = layer.DepthMultiplier;
        }

        protected override Tensor Compute(Tensor channelsLast) =>
            nn.functional.linear(Depthwise(channelsLast, depthwise, multiplier, Windows), pointwise, bias);
    }
}
