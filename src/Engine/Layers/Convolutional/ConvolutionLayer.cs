using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Convolutional;

/// <summary>
/// What Keras's convolutions share (base_conv, base_depthwise_conv, base_separable_conv): the
/// window keys, activation and bias, and the shapes of a call on (batch, ...spatial, channels).
/// </summary>
public abstract class ConvolutionLayer : Layer
{
    /// <summary>Spatial axes: 1 for Conv1D, 2 for Conv2D.</summary>
    public abstract int Rank { get; }

    /// <summary>Conv1D alone pads "causal" (left only).</summary>
    protected virtual bool AllowsCausal => false;

    public IReadOnlyList<SlidingWindow> Windows { get; private set; } = [];
    public Activation Activation { get; private set; } = Activation.Linear;
    public bool UseBias { get; private set; }
    public Initializer BiasInitializer { get; private set; } = Initializer.Zeros;
    public Regularizer? BiasRegularizer { get; private set; }
    public Constraint? BiasConstraint { get; private set; }

    protected override void Configure(LayerConfig config)
    {
        var ones = Enumerable.Repeat(1, Rank).ToArray();
        var kernel = config.Tuple("kernel_size", Rank, null);
        var strides = config.Tuple("strides", Rank, ones);
        var padding = config.WindowPadding(allowCausal: AllowsCausal);
        var dilation = config.Tuple("dilation_rate", Rank, ones);
        if (strides.Any(s => s > 1) && dilation.Any(d => d > 1))
            config.Error("dilation_rate", $"'dilation_rate' > 1 cannot be combined with 'strides' > 1 (Keras and TensorFlow reject it); got strides {config.Json["strides"]?.ToJsonString()} and dilation_rate {config.Json["dilation_rate"]?.ToJsonString()}.");
        Windows = Enumerable.Range(0, Rank).Select(i => new SlidingWindow(kernel[i], strides[i], dilation[i], padding)).ToArray();
        config.ChannelsLast();
        ConfigureKernel(config);
        Activation = config.Activation("activation");
        UseBias = config.Bool("use_bias", true);
        BiasInitializer = config.Initializer("bias_initializer", Initializer.Zeros);
        BiasRegularizer = config.Regularizer("bias_regularizer");
        BiasConstraint = config.Constraint("bias_constraint");
        config.NoActivityRegularizer();
    }

    /// <summary>The keys of one kind of convolution (filters, groups, depth_multiplier, kernel initializers).</summary>
    protected abstract void ConfigureKernel(LayerConfig config);

    /// <summary>Output channels for a number of input channels, or null after failing <paramref name="check"/>.</summary>
    protected abstract int? OutputChannels(int inputChannels, ShapeCheck check);

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank != Rank + 2)
            return check.Fail($"{Type} needs inputs of shape {SpatialConfig.Layout(Rank)}, not {shape}.");
        if (shape.Last is not int channels)
            return check.Fail($"{Type} needs the channels axis of its input defined, not {shape}.");
        var filters = OutputChannels(channels, check);
        if (filters is null) return null;
        var dims = new int?[Rank + 2];
        for (int i = 0; i < Rank; i++)
        {
            var window = Windows[i];
            if (shape[1 + i] is int length && window.DoesNotFit(length))
                return check.Fail($"{Type}'s {SlidingWindow.Describe(Windows)} does not fit in its input {shape}: padding 'valid' needs at least {string.Join("x", Windows.Select(w => w.Extent))} on the spatial axes.");
            dims[1 + i] = (int?)window.OutputLength(shape[1 + i]);
        }
        dims[^1] = filters;
        return [new TensorInfo(new Shape(dims))];
    }

    protected WeightSpec BiasSpec(long size) => new("bias", [size], true, BiasInitializer, BiasRegularizer, BiasConstraint);

    /// <summary>Keras's kernel (k..., in, out) as torch's (out, in, k...), and back.</summary>
    static long[] KerasToTorch(int rank) => [rank + 1, rank, .. Enumerable.Range(0, rank).Select(i => (long)i)];

    static long[] TorchToKeras(int rank) => [.. Enumerable.Range(2, rank).Select(i => (long)i), 1, 0];

    /// <summary>
    /// A convolution with TensorFlow's padding. The channels-last tensor goes to torch as a
    /// channels-first view, which torch's channels-last kernels take as it is (only asymmetric
    /// padding copies it), and the result comes back as a view.
    /// </summary>
    /// <remarks>
    /// Grouped (and depthwise) convolutions take a contiguous channels-first copy of the input:
    /// libtorch 2.10's oneDNN computes them wrongly on channels-last memory on this machine's CPU
    /// (AMD EPYC: wrong input gradients with a depth multiplier even with AVX2 kernels), while on
    /// contiguous NCHW memory with AVX2 kernels (<see cref="Modules.OneDnnSettings"/>) they are right
    /// (GroupedConvolutionTests compares with float64, which oneDNN does not run). The copy costs far
    /// less than any hand-made grouping.
    /// </remarks>
    internal static Tensor Convolve(Tensor channelsLast, Tensor weight, Tensor? bias, IReadOnlyList<SlidingWindow> windows, long groups)
    {
        if (windows.Count == 1)
            return Convolve(channelsLast.unsqueeze(1), weight.unsqueeze(2), bias, [SlidingWindow.SingleRow, windows[0]], groups).squeeze(1);
        var channelsFirst = ChannelsLayout.ToChannelsFirst(channelsLast);
        if (groups > 1) channelsFirst = channelsFirst.contiguous();
        var (input, pads) = SlidingWindow.Pad(channelsFirst, windows);
        long[] strides = [windows[0].Stride, windows[1].Stride];
        long[] dilations = [windows[0].Dilation, windows[1].Dilation];
        return ChannelsLayout.ToChannelsLast(nn.functional.conv2d(input, weight, bias, strides, pads, dilations, groups));
    }

    /// <summary>
    /// A depthwise convolution on channels-last tensors: each channel c·dm + m of the output is
    /// channel c of the input convolved with filter m of c (TensorFlow's order), which is torch's
    /// grouped convolution with one group per input channel. The kernel is in Keras's layout with
    /// its last two axes flattened to (k..., in·dm).
    /// </summary>
    internal static Tensor Depthwise(Tensor channelsLast, Tensor kernel, long multiplier, IReadOnlyList<SlidingWindow> windows)
    {
        int rank = windows.Count;
        long channels = channelsLast.shape[^1];
        // (k..., in·dm) -> (in·dm, 1, k...): torch's weight for groups = in.
        var weight = kernel.permute([rank, .. Enumerable.Range(0, rank).Select(i => (long)i)]).unsqueeze(1);
        return Convolve(channelsLast, weight, null, windows, channels);
    }

    /// <summary>Runs a convolution on channels-last tensors, then its activation.</summary>
    protected abstract class ConvolutionModule(ConvolutionLayer layer, BuildContext context) : UnaryLayerModule(layer.Name, context)
    {
        readonly Func<Tensor, Tensor> activation = layer.Activation.Apply;
        readonly string layerName = layer.Name;

        protected IReadOnlyList<SlidingWindow> Windows { get; } = layer.Windows;

        protected abstract Tensor Compute(Tensor channelsLast);

        /// <summary>A kernel in Keras's layout (k..., in, out), held as torch's (out, in, k...).</summary>
        protected Tensor AddKernel(string torchName, WeightSpec spec, bool trainable)
        {
            int rank = spec.Shape.Length - 2;
            return AddWeight(torchName, spec, trainable, k => k.permute(KerasToTorch(rank)), w => w.permute(TorchToKeras(rank)));
        }

        /// <summary>A depthwise kernel (k..., in, dm), held with its last two axes flattened, as <see cref="Depthwise"/> takes it.</summary>
        protected Tensor AddDepthwiseKernel(string torchName, WeightSpec spec, bool trainable)
        {
            var kerasShape = spec.Shape;
            long[] flat = [.. kerasShape[..^2], kerasShape[^2] * kerasShape[^1]];
            return AddWeight(torchName, spec, trainable, k => k.reshape(flat), w => w.reshape(kerasShape));
        }

        public override Tensor Forward(Tensor input)
        {
            SlidingWindow.CheckFits(input, Windows, layerName);
            return activation(Compute(input));
        }
    }
}
