using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>keras.layers.SimpleRNN: h = activation(x·W + b + h·U); torch's RNN computes tanh and relu.</summary>
[LayerType("SimpleRNN")]
public sealed class SimpleRnnLayer : RecurrentLayer
{
    public override int Gates => 1;

    public override bool HasNativeCell => Activation.Name is "tanh" or "relu";

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new SimpleRnnModule(this, DeclareWeights(inputs), inputs[0].Shape.Last!.Value, context);

    sealed class SimpleRnnModule : RecurrentModule
    {
        readonly TorchSharp.Modules.RNN? native;

        public SimpleRnnModule(SimpleRnnLayer layer, IReadOnlyList<WeightSpec> specs, long inputSize, BuildContext context) : base(layer, context)
        {
            if (layer.HasNativeCell)
            {
                var nonLinearity = layer.Activation.Name == "relu" ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh;
                native = nn.RNN(inputSize, layer.Units, nonLinearity: nonLinearity, bias: layer.UseBias, batchFirst: true, device: context.Device);
                UseNativeWeights(native, specs, recurrentBiasIsKeras: false);
            }
            else
                UseOwnWeights(inputSize, specs, recurrentBias: false);
        }

        protected override (Tensor? Sequence, Tensor[] States) RunNative(Tensor x, Tensor[]? initialStates)
        {
            var (sequence, h) = native!.call(x, initialStates?[0].unsqueeze(0));
            return (sequence, [h.squeeze(0)]);
        }

        protected override Tensor[] Step(Tensor projectedInput, Tensor[] states, Tensor[]? recurrentMasks) =>
            [Activation(projectedInput + ProjectState(states[0], 0, 1, recurrentMasks))];
    }
}
