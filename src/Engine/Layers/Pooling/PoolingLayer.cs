using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Layers.Convolutional;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Pooling;

/// <summary>
/// Keras's MaxPooling and AveragePooling (1D, 2D) on (batch, ...spatial, channels). Padding
/// follows TensorFlow: "same" pads the odd cell at the end, and padded cells never count (max
/// ignores them, average divides by the cells inside the input only), where torch pads
/// symmetrically and counts padding in averages by default.
/// </summary>
public abstract class PoolingLayer : Layer
{
    public abstract int Rank { get; }

    protected abstract bool IsMax { get; }

    public IReadOnlyList<SlidingWindow> Windows { get; private set; } = [];

    protected override void Configure(LayerConfig config)
    {
        var defaultSize = Enumerable.Repeat(2, Rank).ToArray();
        var poolSize = config.Tuple("pool_size", Rank, defaultSize);
        var strides = config.Tuple("strides", Rank, poolSize);
        var padding = config.WindowPadding();
        config.ChannelsLast();
        Windows = Enumerable.Range(0, Rank).Select(i => new SlidingWindow(poolSize[i], strides[i], 1, padding)).ToArray();
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank != Rank + 2)
            return check.Fail($"{Type} needs inputs of shape {SpatialConfig.Layout(Rank)}, not {shape}.");
        var dims = shape.Dims.ToArray();
        for (int i = 0; i < Rank; i++)
        {
            if (shape[1 + i] is int length && Windows[i].DoesNotFit(length))
                return check.Fail($"{Type}'s {SlidingWindow.Describe(Windows, "pool")} is bigger than its input {shape}: padding 'valid' needs at least {string.Join("x", Windows.Select(w => w.Size))} on the spatial axes.");
            dims[1 + i] = (int?)Windows[i].OutputLength(shape[1 + i]);
        }
        return [new TensorInfo(new Shape(dims))];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new PoolingModule(this, context);

    sealed class PoolingModule(PoolingLayer layer, BuildContext context) : UnaryLayerModule(layer.Name, context)
    {
        readonly IReadOnlyList<SlidingWindow> windows = layer.Windows;
        readonly SlidingWindow[] windows2d = AsImage(layer);
        readonly long[] sizes = AsImage(layer).Select(w => (long)w.Size).ToArray();
        readonly long[] strides = AsImage(layer).Select(w => (long)w.Stride).ToArray();
        readonly bool max = layer.IsMax;
        readonly string layerName = layer.Name;

        /// <summary>Sequences pool as one-row images (SlidingWindow.SingleRow): torch's channels-last kernels are 2-D.</summary>
        static SlidingWindow[] AsImage(PoolingLayer layer) => layer.Rank == 1 ? [SlidingWindow.SingleRow, layer.Windows[0]] : [.. layer.Windows];

        public override Tensor Forward(Tensor input)
        {
            SlidingWindow.CheckFits(input, windows, layerName);
            var image = windows.Count == 1 ? input.unsqueeze(1) : input;
            var x = ChannelsLayout.ToChannelsFirst(image);
            var pooled = ChannelsLayout.ToChannelsLast(max ? Max(x) : Average(x));
            return windows.Count == 1 ? pooled.squeeze(1) : pooled;
        }

        Tensor Max(Tensor x)
        {
            // Padding with -inf is never the maximum: every window holds at least one input cell.
            var (padded, symmetric) = SlidingWindow.Pad(x, windows2d, double.NegativeInfinity);
            return nn.functional.max_pool2d(padded, sizes, strides, symmetric);
        }

        Tensor Average(Tensor x)
        {
            var (padded, symmetric) = SlidingWindow.Pad(x, windows2d);
            var sum = Pool(padded, symmetric);
            if (ReferenceEquals(padded, x)) return sum;
            // Padded explicitly (TensorFlow's odd cell at the end): torch averaged over the padding too,
            // so divide by the share of each window that lies inside the input.
            using var inside = ones([1, 1, .. x.shape[2..]], dtype: x.dtype, device: x.device);
            var (paddedOnes, _) = SlidingWindow.Pad(inside, windows2d);
            using (paddedOnes)
            using (var share = Pool(paddedOnes, symmetric))
                return sum / share;
        }

        Tensor Pool(Tensor x, long[] symmetric) => nn.functional.avg_pool2d(x, sizes, strides, symmetric, count_include_pad: false);
    }
}

[LayerType("MaxPooling1D", "MaxPool1D")]
public sealed class MaxPooling1DLayer : PoolingLayer
{
    public override int Rank => 1;

    protected override bool IsMax => true;
}

[LayerType("MaxPooling2D", "MaxPool2D")]
public sealed class MaxPooling2DLayer : PoolingLayer
{
    public override int Rank => 2;

    protected override bool IsMax => true;
}

[LayerType("AveragePooling1D", "AvgPool1D")]
public sealed class AveragePooling1DLayer : PoolingLayer
{
    public override int Rank => 1;

    protected override bool IsMax => false;
}

[LayerType("AveragePooling2D", "AvgPool2D")]
public sealed class AveragePooling2DLayer : PoolingLayer
{
    public override int Rank => 2;

    protected override bool IsMax => false;
}
