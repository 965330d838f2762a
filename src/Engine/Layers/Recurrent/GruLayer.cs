using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>
/// keras.layers.GRU. Keras orders the gates z, r, h and torch r, z, n. With reset_after (Keras 3's
/// default) the reset gate multiplies the state's projection plus its own bias, as torch's GRU
/// does, so the native module computes it; without, the reset gate multiplies the state before
/// the projection, which only the step loop computes.
/// </summary>
[LayerType("GRU")]
public sealed class GruLayer : RecurrentLayer
{
    public bool ResetAfter { get; private set; }

    public override int Gates => 3;

    public override bool HasNativeCell => ResetAfter && Activation.Name == "tanh" && RecurrentActivation.Name == "sigmoid";

    protected override void ConfigureCell(LayerConfig config) => ResetAfter = config.Bool("reset_after", true);

    protected override long[] BiasShape => ResetAfter ? [2, 3L * Units] : [3L * Units];

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new GruModule(this, DeclareWeights(inputs), inputs[0].Shape.Last!.Value, context);

    sealed class GruModule : RecurrentModule
    {
        readonly TorchSharp.Modules.GRU? native;
        readonly bool resetAfter;

        public GruModule(GruLayer layer, IReadOnlyList<WeightSpec> specs, long inputSize, BuildContext context) : base(layer, context)
        {
            resetAfter = layer.ResetAfter;
            if (layer.HasNativeCell)
            {
                native = nn.GRU(inputSize, layer.Units, bias: layer.UseBias, batchFirst: true, device: context.Device);
                UseNativeWeights(native, specs, recurrentBiasIsKeras: true);
            }
            else
                UseOwnWeights(inputSize, specs, recurrentBias: layer.ResetAfter);
        }

        /// <summary>Keras's [z, r, h] blocks to torch's [r, z, n] and back: a swap of the first two.</summary>
        protected override Tensor ReorderGates(Tensor t)
        {
            var blocks = t.chunk(3, -1);
            return cat([blocks[1], blocks[0], blocks[2]], -1);
        }

        protected override (Tensor? Sequence, Tensor[] States) RunNative(Tensor x, Tensor[]? initialStates)
        {
            var (sequence, h) = native!.call(x, initialStates?[0].unsqueeze(0));
            return (sequence, [h.squeeze(0)]);
        }

        protected override Tensor[] Step(Tensor projectedInput, Tensor[] states, Tensor[]? recurrentMasks)
        {
            var h = states[0];
            var x = projectedInput.chunk(3, 1);
            Tensor reset, update, candidate;
            if (resetAfter)
            {
                var projected = ProjectState(h, 0, 3, recurrentMasks);
                if (RecurrentBias is not null) projected = projected + RecurrentBias;
                var s = projected.chunk(3, 1);
                reset = RecurrentActivation(x[0] + s[0]);
                update = RecurrentActivation(x[1] + s[1]);
                candidate = Activation(x[2] + reset * s[2]);
            }
            else
            {
                var s = ProjectState(h, 0, 2, recurrentMasks).chunk(2, 1);
                reset = RecurrentActivation(x[0] + s[0]);
                update = RecurrentActivation(x[1] + s[1]);
                candidate = Activation(x[2] + ProjectState(reset * h, 2, 1, recurrentMasks));
            }
            return [update * h + (1 - update) * candidate];
        }
    }
}
