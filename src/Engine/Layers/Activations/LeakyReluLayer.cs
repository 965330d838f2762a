using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Activations;

/// <summary>keras.layers.LeakyReLU: x for x ≥ 0, negative_slope·x below (Keras 3 negative_slope, Keras 2 alpha; both default 0.3).</summary>
[LayerType("LeakyReLU")]
public sealed class LeakyReluLayer : Layer
{
    public double NegativeSlope { get; private set; } = 0.3;

    protected override void Configure(LayerConfig config)
    {
        if (config.Has("alpha") && config.Has("negative_slope"))
            config.Error("alpha", "'alpha' (Keras 2) and 'negative_slope' (Keras 3) name the same value; give one.");
        var key = config.Has("alpha") ? "alpha" : "negative_slope";
        NegativeSlope = config.Double(key, 0.3, min: 0);
        config.Accept("alpha", "negative_slope");
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) => [inputs[0]];

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context)
    {
        var slope = NegativeSlope;
        return new FunctionModule(Name, context, x => nn.functional.leaky_relu(x, slope));
    }
}
