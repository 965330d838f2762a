using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Layers.Convolutional;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers.Reshaping;

/// <summary>
/// keras.layers.Flatten: (batch, ...) to (batch, product). Tensors are channels-last, so the order
/// is Keras's (rows, cols, channels) without the transpose a channels-first torch model needs.
/// </summary>
[LayerType("Flatten")]
public sealed class FlattenLayer : Layer
{
    protected override void Configure(LayerConfig config) => config.ChannelsLast();

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var size = inputs[0].Shape.SampleSize;
        return [new TensorInfo(new Shape([null, size is long n ? checked((int)n) : null]))];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new FunctionModule(Name, context, x => x.reshape(x.shape[0], -1));
}
