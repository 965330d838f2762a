using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>
/// keras.layers.LSTM. Gates i, f, c, o, the order torch uses too; one bias where torch has two, so
/// the native module's bias_hh is held at zero.
/// </summary>
[LayerType("LSTM")]
public sealed class LstmLayer : RecurrentLayer
{
    public bool UnitForgetBias { get; private set; }

    public override int Gates => 4;

    public override int StateCount => 2;

    public override bool HasNativeCell => Activation.Name == "tanh" && RecurrentActivation.Name == "sigmoid";

    protected override void ConfigureCell(LayerConfig config) => UnitForgetBias = config.Bool("unit_forget_bias", true);

    protected override Initializer BiasInitializerForBuild =>
        UnitForgetBias ? new UnitForgetBiasInitializer(BiasInitializer, Units) : BiasInitializer;

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new LstmModule(this, DeclareWeights(inputs), inputs[0].Shape.Last!.Value, context);

    sealed class LstmModule : RecurrentModule
    {
        readonly TorchSharp.Modules.LSTM? native;

        public LstmModule(LstmLayer layer, IReadOnlyList<WeightSpec> specs, long inputSize, BuildContext context) : base(layer, context)
        {
            if (layer.HasNativeCell)
            {
                native = nn.LSTM(inputSize, layer.Units, bias: layer.UseBias, batchFirst: true, device: context.Device);
                UseNativeWeights(native, specs, recurrentBiasIsKeras: false);
            }
            else
                UseOwnWeights(inputSize, specs, recurrentBias: false);
        }

        protected override (Tensor? Sequence, Tensor[] States) RunNative(Tensor x, Tensor[]? initialStates)
        {
            var initial = initialStates is null ? null : ((Tensor, Tensor)?)(initialStates[0].unsqueeze(0), initialStates[1].unsqueeze(0));
            if (x.device.type != TorchSharp.DeviceType.CPU || is_grad_enabled())
            {
                var (sequence, h, c) = native!.call(x, initial);
                return (sequence, [h.squeeze(0), c.squeeze(0)]);
            }
            // Without grad mode libtorch 2.10 runs the LSTM with oneDNN 3.7.1's inference kernel
            // (brgemm, AVX-512), which computes wrong values on some CPUs (AMD EPYC here, errors up
            // to 0.9; pytorch#173922 reports the same). Its training path is right: run that, detached.
            using (enable_grad())
            {
                var (sequence, h, c) = native!.call(x, initial);
                return (sequence.detach(), [h.squeeze(0).detach(), c.squeeze(0).detach()]);
            }
        }

        protected override Tensor[] Step(Tensor projectedInput, Tensor[] states, Tensor[]? recurrentMasks)
        {
            var z = projectedInput + ProjectState(states[0], 0, 4, recurrentMasks);
            var gates = z.chunk(4, 1);
            var input = RecurrentActivation(gates[0]);
            var forget = RecurrentActivation(gates[1]);
            var output = RecurrentActivation(gates[3]);
            var carry = forget * states[1] + input * Activation(gates[2]);
            return [output * Activation(carry), carry];
        }
    }
}
