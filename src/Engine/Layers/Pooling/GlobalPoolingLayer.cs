using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Layers.Convolutional;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Pooling;

/// <summary>
/// Keras's GlobalMaxPooling and GlobalAveragePooling (1D, 2D): the maximum or mean over the
/// spatial axes of (batch, ...spatial, channels), giving (batch, channels), or with keepdims
/// (batch, 1..., channels).
/// </summary>
public abstract class GlobalPoolingLayer : Layer
{
    public abstract int Rank { get; }

    protected abstract bool IsMax { get; }

    public bool KeepDims { get; private set; }

    protected override void Configure(LayerConfig config)
    {
        config.ChannelsLast();
        KeepDims = config.Bool("keepdims", false);
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank != Rank + 2)
            return check.Fail($"{Type} needs inputs of shape {SpatialConfig.Layout(Rank)}, not {shape}.");
        var output = KeepDims
            ? new Shape([null, .. Enumerable.Repeat<int?>(1, Rank), shape.Last])
            : new Shape([null, shape.Last]);
        return [new TensorInfo(output)];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context)
    {
        long[] axes = Enumerable.Range(1, Rank).Select(a => (long)a).ToArray();
        bool keep = KeepDims;
        return IsMax
            ? new FunctionModule(Name, context, x => x.amax(axes, keep))
            : new FunctionModule(Name, context, x => x.mean(axes, keep));
    }
}

[LayerType("GlobalMaxPooling1D", "GlobalMaxPool1D")]
public sealed class GlobalMaxPooling1DLayer : GlobalPoolingLayer
{
    public override int Rank => 1;

    protected override bool IsMax => true;
}

[LayerType("GlobalMaxPooling2D", "GlobalMaxPool2D")]
public sealed class GlobalMaxPooling2DLayer : GlobalPoolingLayer
{
    public override int Rank => 2;

    protected override bool IsMax => true;
}

[LayerType("GlobalAveragePooling1D", "GlobalAvgPool1D")]
public sealed class GlobalAveragePooling1DLayer : GlobalPoolingLayer
{
    public override int Rank => 1;

    protected override bool IsMax => false;
}

[LayerType("GlobalAveragePooling2D", "GlobalAvgPool2D")]
public sealed class GlobalAveragePooling2DLayer : GlobalPoolingLayer
{
    public override int Rank => 2;

    protected override bool IsMax => false;
}
