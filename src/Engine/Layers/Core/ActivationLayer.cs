using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers.Core;

/// <summary>keras.layers.Activation.</summary>
[LayerType("Activation")]
public sealed class ActivationLayer : Layer
{
    public Activation Activation { get; private set; } = Activation.Linear;

    protected override void Configure(LayerConfig config)
    {
        if (!config.Has("activation")) config.Error("activation", "'activation' is required.");
        Activation = config.Activation("activation");
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) => [inputs[0]];

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new FunctionModule(Name, context, Activation.Apply);
}
