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
        var layout = Rank == 1 ? "(batch, steps, channels)" : "(batch, rows, cols, channels)";
        if (shape.Rank != Rank + 2)
            return check.Fail($"{Type} needs inputs of shape {layout}, not {shape}.");
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
    /// A convolution of a channels-first view with TensorFlow's padding. Torch's channels-last
    /// kernels take the view as it is; only asymmetric padding copies the input.
    /// </summary>
    internal static Tensor Convolve(Tensor channelsFirst, Tensor weight, Tensor? bias, IReadOnlyList<SlidingWindow> windows, long groups)
    {
        var (input, pads) = SlidingWindow.Pad(channelsFirst, windows);
        var strides = windows.Select(w => (long)w.Stride).ToArray();
        var dilations = windows.Select(w => (long)w.Dilation).ToArray();
        return windows.Count == 1
            ? nn.functional.conv1d(input, weight, bias, strides[0], pads[0], dilations[0], groups)
            : nn.functional.conv2d(input, weight, bias, strides, pads, dilations, groups);
    }

    /// <summary>Runs a convolution's torch computation on channels-last tensors: to channels-first views and back.</summary>
    protected abstract class ConvolutionModule(ConvolutionLayer layer, BuildContext context) : UnaryLayerModule(layer.Name, context)
    {
        readonly Func<Tensor, Tensor> activation = layer.Activation.Apply;
        readonly string layerName = layer.Name;

        protected IReadOnlyList<SlidingWindow> Windows { get; } = layer.Windows;

        protected abstract Tensor Compute(Tensor channelsFirst);

        /// <summary>A kernel in Keras's layout (k..., in, out), held as torch's (out, in, k...).</summary>
        protected Tensor AddKernel(string torchName, WeightSpec spec, bool trainable)
        {
            int rank = spec.Shape.Length - 2;
            return AddWeight(torchName, spec, trainable, k => k.permute(KerasToTorch(rank)), w => w.permute(TorchToKeras(rank)));
        }

        /// <summary>
        /// A depthwise kernel (k..., in, dm), held as torch's grouped (in·dm, 1, k...): output channel
        /// c·dm + m is filter m of input channel c in TensorFlow as in torch, so flattening the last
        /// two axes gives torch's order.
        /// </summary>
        protected Tensor AddDepthwiseKernel(string torchName, WeightSpec spec, bool trainable)
        {
            int rank = spec.Shape.Length - 2;
            var kerasShape = spec.Shape;
            long[] grouped = [.. kerasShape[..rank], 1, kerasShape[rank] * kerasShape[rank + 1]];
            return AddWeight(torchName, spec, trainable,
                k => k.reshape(grouped).permute(KerasToTorch(rank)),
                w => w.permute(TorchToKeras(rank)).reshape(kerasShape));
        }

        public override Tensor Forward(Tensor input)
        {
            SlidingWindow.CheckFits(input, Windows, layerName);
            return activation(ChannelsLayout.ToChannelsLast(Compute(ChannelsLayout.ToChannelsFirst(input))));
        }
    }
}
