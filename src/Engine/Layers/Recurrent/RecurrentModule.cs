using TorchSharp;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>
/// Runs a recurrent layer. Its weights live in torch's layout and gate order (weight_ih (G·u, in),
/// weight_hh (G·u, u), bias_ih, bias_hh): inside torch's native LSTM/GRU/RNN module when that
/// module computes the layer, as this module's own parameters otherwise. The Keras weights read
/// and write them through transposes and gate reordering.
/// The native module runs whenever it computes what Keras does, dropout on the inputs included
/// (one mask per sequence multiplies the whole sequence); a step loop runs for other activations,
/// GRU without reset_after and recurrent or per-gate dropout.
/// </summary>
public abstract class RecurrentModule : LayerModule
{
    readonly RecurrentLayer layer;
    readonly Generator? dropoutGenerator;

    protected RecurrentModule(RecurrentLayer layer, BuildContext context) : base(layer.Name, context)
    {
        this.layer = layer;
        Units = layer.Units;
        Activation = layer.Activation.Apply;
        RecurrentActivation = layer.RecurrentActivation.Apply;
        // A seeded layer draws its dropout masks from its own stream, as Keras's SeedGenerator does.
        if (layer.Seed is int seed) dropoutGenerator = new Generator((ulong)seed);
    }

    // Every parameter and the native module are registered explicitly under torch's names; TorchSharp's
    // field reflection would register them again under the names of this class's fields.
    protected override void RegisterComponents() { }

    protected long Units { get; }

    protected Func<Tensor, Tensor> Activation { get; }

    /// <summary>The gates' activation.</summary>
    protected Func<Tensor, Tensor> RecurrentActivation { get; }

    /// <summary>(G·u, in), torch gate order.</summary>
    protected Tensor InputKernel { get; private set; } = null!;

    /// <summary>(G·u, u), torch gate order.</summary>
    protected Tensor RecurrentKernel { get; private set; } = null!;

    protected Tensor? InputBias { get; private set; }

    /// <summary>The recurrent bias where Keras has one (GRU with reset_after); null where torch's is held at zero.</summary>
    protected Tensor? RecurrentBias { get; private set; }

    /// <summary>
    /// Maps Keras's gate blocks on the last axis to torch's order. It must be its own inverse
    /// (the identity, or GRU's swap of its first two blocks), as it converts both ways.
    /// </summary>
    protected virtual Tensor ReorderGates(Tensor t) => t;

    /// <summary>
    /// Uses a native torch module's parameters as the weights. Keras has one bias where torch has
    /// bias_ih and bias_hh: unless <paramref name="recurrentBiasIsKeras"/>, bias_hh is held at zero
    /// and never trained, so that the sum torch uses is Keras's bias and trains at Keras's rate.
    /// </summary>
    protected void UseNativeWeights(nn.Module native, IReadOnlyList<WeightSpec> specs, bool recurrentBiasIsKeras)
    {
        register_module("cell", native);
        TorchSharp.Modules.Parameter Get(string name) => native.get_parameter(name) ?? throw new InvalidOperationException($"torch's recurrent module has no parameter '{name}'.");
        InputKernel = Get("weight_ih_l0");
        RecurrentKernel = Get("weight_hh_l0");
        foreach (var p in native.parameters()) p.requires_grad = layer.Trainable;
        if (layer.UseBias)
        {
            InputBias = Get("bias_ih_l0");
            var recurrentBias = Get("bias_hh_l0");
            if (recurrentBiasIsKeras) RecurrentBias = recurrentBias;
            else
            {
                using (no_grad()) recurrentBias.zero_();
                recurrentBias.requires_grad = false;
            }
        }
        BindKerasWeights(specs);
    }

    /// <summary>Creates the weights as this module's parameters, for layers no native module computes.</summary>
    protected void UseOwnWeights(long inputSize, IReadOnlyList<WeightSpec> specs, bool recurrentBias)
    {
        long width = layer.Gates * Units;
        Tensor Create(string name, params long[] shape)
        {
            var parameter = nn.Parameter(empty(shape, dtype: ScalarType.Float32, device: Context.Device), requires_grad: layer.Trainable);
            register_parameter(name, parameter);
            return parameter;
        }
        InputKernel = Create("weight_ih", width, inputSize);
        RecurrentKernel = Create("weight_hh", width, Units);
        if (layer.UseBias)
        {
            InputBias = Create("bias_ih", width);
            if (recurrentBias) RecurrentBias = Create("bias_hh", width);
        }
        BindKerasWeights(specs);
    }

    void BindKerasWeights(IReadOnlyList<WeightSpec> specs)
    {
        var weights = new List<KerasWeight>
        {
            Bind(specs[0], [InputKernel], () => ReorderGates(InputKernel.t()), v => InputKernel.copy_(ReorderGates(v).t())),
            Bind(specs[1], [RecurrentKernel], () => ReorderGates(RecurrentKernel.t()), v => RecurrentKernel.copy_(ReorderGates(v).t())),
        };
        if (layer.UseBias)
        {
            var inputBias = InputBias!;
            if (RecurrentBias is not { } recurrentBias)
                weights.Add(Bind(specs[2], [inputBias], () => ReorderGates(inputBias), v => inputBias.copy_(ReorderGates(v))));
            else
                // Keras's (2, G·u) bias: row 0 adds to the input projection, row 1 to the state's.
                weights.Add(Bind(specs[2], [inputBias, recurrentBias],
                    () => stack([ReorderGates(inputBias), ReorderGates(recurrentBias)]),
                    v =>
                    {
                        inputBias.copy_(ReorderGates(v[0]));
                        recurrentBias.copy_(ReorderGates(v[1]));
                    }));
        }
        foreach (var weight in weights)
        {
            AddWeight(weight);
            // Keras initialises each weight in its own layout, in build() order.
            using var initial = weight.Spec.Initializer.Create(weight.Spec.Shape, Context.Random);
            weight.Write(initial);
        }
    }

    KerasWeight Bind(WeightSpec spec, Tensor[] storage, Func<Tensor> read, Action<Tensor> write) =>
        new(spec, storage, read, write) { Trainable = spec.Trainable && layer.Trainable };

    public sealed override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs)
    {
        using var scope = NewDisposeScope();
        var x = inputs[0];
        if (layer.GoBackwards) x = x.flip(1);
        var initial = inputs.Count > 1 ? inputs.Skip(1).ToArray() : null;

        Tensor[]? inputMasks = null, recurrentMasks = null;
        if (IsTraining)
        {
            int count = layer.DropoutMaskPerGate ? layer.Gates : 1;
            inputMasks = DropoutMasks(layer.Dropout, count, x.shape[0], x.shape[2], x.device);
            recurrentMasks = DropoutMasks(layer.RecurrentDropout, count, x.shape[0], Units, x.device);
        }

        (Tensor? Sequence, Tensor[] States) result;
        if (layer.HasNativeCell && recurrentMasks is null && inputMasks is not { Length: > 1 })
        {
            // Keras's cuDNN path does the same: one input mask, the same at every step.
            if (inputMasks is not null) x = x * inputMasks[0].unsqueeze(1);
            result = RunNative(x, initial);
        }
        else
            result = RunLoop(x, initial, inputMasks, recurrentMasks);

        var (sequence, states) = result;
        // Without return_sequences the output is the last h, as its own tensor beside the returned state.
        var outputs = new List<Tensor> { layer.ReturnSequences ? sequence! : states[0].alias() };
        if (layer.ReturnState) outputs.AddRange(states);
        foreach (var output in outputs) output.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>Runs torch's native module: the whole sequence and the final states.</summary>
    protected abstract (Tensor? Sequence, Tensor[] States) RunNative(Tensor x, Tensor[]? initialStates);

    /// <summary>One step of the cell: the input's projection for this step and the states in, the states out (h first).</summary>
    protected abstract Tensor[] Step(Tensor projectedInput, Tensor[] states, Tensor[]? recurrentMasks);

    (Tensor? Sequence, Tensor[] States) RunLoop(Tensor x, Tensor[]? initial, Tensor[]? inputMasks, Tensor[]? recurrentMasks)
    {
        // The input side of every gate does not depend on the state: project all steps at once.
        var steps = ProjectInputs(x, inputMasks).unbind(1);
        if (steps.Length == 0) throw new ArgumentException($"Layer '{layer.Name}' got a sequence with no steps.");
        var states = initial ?? Enumerable.Range(0, layer.StateCount).Select(_ => zeros([x.shape[0], Units], dtype: x.dtype, device: x.device)).ToArray();
        var outputs = layer.ReturnSequences ? new List<Tensor>(steps.Length) : null;
        foreach (var step in steps)
        {
            states = Step(step, states, recurrentMasks);
            outputs?.Add(states[0]);
        }
        return (outputs is null ? null : stack(outputs, 1), states);
    }

    /// <summary>x·W + b for every step and gate; with per-gate masks each gate sees its own masked input.</summary>
    Tensor ProjectInputs(Tensor x, Tensor[]? masks)
    {
        if (masks is null) return nn.functional.linear(x, InputKernel, InputBias);
        if (masks.Length == 1) return nn.functional.linear(x * masks[0].unsqueeze(1), InputKernel, InputBias);
        var gates = new Tensor[masks.Length];
        for (int g = 0; g < masks.Length; g++)
            gates[g] = nn.functional.linear(x * masks[g].unsqueeze(1), InputKernel.narrow(0, g * Units, Units), InputBias?.narrow(0, g * Units, Units));
        return cat(gates, -1);
    }

    /// <summary>h·U for <paramref name="count"/> gates from <paramref name="firstGate"/> (torch order), without bias, h masked as Keras masks it.</summary>
    protected Tensor ProjectState(Tensor h, int firstGate, int count, Tensor[]? masks)
    {
        if (masks is null) return nn.functional.linear(h, RecurrentKernel.narrow(0, firstGate * Units, count * Units));
        if (masks.Length == 1) return nn.functional.linear(h * masks[0], RecurrentKernel.narrow(0, firstGate * Units, count * Units));
        var gates = new Tensor[count];
        for (int g = 0; g < count; g++)
            gates[g] = nn.functional.linear(h * masks[firstGate + g], RecurrentKernel.narrow(0, (firstGate + g) * Units, Units));
        return count == 1 ? gates[0] : cat(gates, -1);
    }

    /// <summary>Keras's dropout of a tensor of ones: 0 or 1/(1 - rate), one (batch, size) mask per gate.</summary>
    Tensor[]? DropoutMasks(double rate, int count, long batch, long size, Device device)
    {
        if (rate <= 0) return null;
        var keep = 1 - rate;
        var masks = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            var uniform = dropoutGenerator is null
                ? rand([batch, size], device: device)
                : rand([batch, size], generator: dropoutGenerator).to(device);
            masks[i] = uniform.lt(keep).to_type(ScalarType.Float32).div_(keep);
        }
        return masks;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) dropoutGenerator?.Dispose();
        base.Dispose(disposing);
    }
}
