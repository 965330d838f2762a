using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Layers.Recurrent;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Wrappers;

/// <summary>
/// keras.layers.Bidirectional: a recurrent layer run forwards and a copy run backwards (or the
/// given backward_layer), the backward sequence flipped back into time order, and the two merged
/// (concat, sum, mul, ave) or returned as two outputs (merge_mode null). With return_state the
/// forward layer's states follow, then the backward layer's; initial states are taken the same way.
/// </summary>
[LayerType("Bidirectional")]
public sealed class BidirectionalLayer : WrapperLayer
{
    static readonly string[] MergeModes = ["concat", "sum", "mul", "ave"];

    public RecurrentLayer? ForwardLayer { get; private set; }
    public RecurrentLayer? BackwardLayer { get; private set; }

    /// <summary>concat, sum, mul, ave, or null for two outputs.</summary>
    public string? MergeMode { get; private set; } = "concat";

    /// <summary>Keras's names of the two layers, which prefix their weights' names.</summary>
    public string ForwardName => "forward_" + RemovePrefix(ForwardLayer!.Name, "forward_");

    public string BackwardName => "backward_" + RemovePrefix(RemovePrefix(BackwardLayer!.Name, "forward_"), "backward_");

    public override int MaxInputs => 1 + (ForwardLayer?.StateCount ?? 0) + (BackwardLayer?.StateCount ?? 0);

    protected override void Configure(LayerConfig config)
    {
        if (config.Has("merge_mode") && config.Raw("merge_mode") is null) MergeMode = null;
        else MergeMode = config.String("merge_mode", "concat", MergeModes);

        var hasBackwardLayer = config.Raw("backward_layer") is not null;
        var forward = WrappedLayer.Read(config, "layer", out var forwardConfig);
        if (forward is null) return;
        if (forward is not RecurrentLayer forwardLayer)
        {
            config.Diagnostics.Error(config.PointerOf("layer"), $"Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN), not {forward.Type}.", config.Node);
            return;
        }
        ForwardLayer = forwardLayer;

        if (!hasBackwardLayer)
        {
            // Keras copies the forward layer's config with go_backwards flipped. Its errors are the
            // forward layer's, already reported, so they go nowhere.
            var copy = forwardConfig!.DeepClone().AsObject();
            copy["go_backwards"] = !forwardLayer.GoBackwards;
            var backward = (RecurrentLayer)LayerRegistry.Create(forwardLayer.Type)!;
            WrappedLayer.Initialize(backward, forwardLayer.Type, copy, config.PointerOf("layer") + "/config", config.Node, new DiagnosticBag());
            BackwardLayer = backward;
        }
        else
        {
            var backward = WrappedLayer.Read(config, "backward_layer", out _);
            if (backward is null) return;
            if (backward is not RecurrentLayer backwardLayer)
            {
                config.Error("backward_layer", $"Bidirectional's backward_layer must be a recurrent layer (LSTM, GRU, SimpleRNN), not {backward.Type}.");
                return;
            }
            BackwardLayer = backwardLayer;
            if (backwardLayer.GoBackwards == forwardLayer.GoBackwards)
                config.Error("backward_layer", $"The forward and backward layers must differ in go_backwards, but both have {(forwardLayer.GoBackwards ? "true" : "false")}.");
            if (backwardLayer.ReturnSequences != forwardLayer.ReturnSequences)
                config.Error("backward_layer", "The forward and backward layers must agree on return_sequences.");
            if (backwardLayer.ReturnState != forwardLayer.ReturnState)
                config.Error("backward_layer", "The forward and backward layers must agree on return_state.");
        }
    }

    static string RemovePrefix(string name, string prefix) => name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;

    /// <summary>Each direction's inputs: the sequence, and its own initial states when there are any.</summary>
    (List<T> Forward, List<T> Backward) Split<T>(IReadOnlyList<T> inputs)
    {
        if (inputs.Count == 1) return ([inputs[0]], [inputs[0]]);
        var forwardStates = ForwardLayer!.StateCount;
        return ([inputs[0], .. inputs.Skip(1).Take(forwardStates)], [inputs[0], .. inputs.Skip(1 + forwardStates)]);
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        int states = ForwardLayer!.StateCount + BackwardLayer!.StateCount;
        if (inputs.Count != 1 && inputs.Count != 1 + states)
            return check.Fail($"Bidirectional takes the sequence alone or with {states} initial states (the forward layer's, then the backward layer's), not {inputs.Count - 1}.");
        var (forwardInputs, backwardInputs) = Split(inputs);
        var forward = ForwardLayer.InferOutputs(forwardInputs, check);
        var backward = BackwardLayer.InferOutputs(backwardInputs, check);
        if (forward is null || backward is null) return null;

        Shape y = forward[0].Shape, reversed = backward[0].Shape;
        var outputs = new List<TensorInfo>();
        switch (MergeMode)
        {
            case null:
                outputs.Add(forward[0]);
                outputs.Add(backward[0]);
                break;
            case "concat":
                outputs.Add(new TensorInfo(y.WithLast(y.Last + reversed.Last)));
                break;
            default:
                if (!y.Equals(reversed))
                    return check.Fail($"Bidirectional's merge_mode '{MergeMode}' needs equal outputs from both directions, but got {y} and {reversed}.");
                outputs.Add(forward[0]);
                break;
        }
        outputs.AddRange(forward.Skip(1));
        outputs.AddRange(backward.Skip(1));
        return outputs;
    }

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) =>
    [
        .. InnerWeights(ForwardLayer!, [inputs[0]], ForwardName),
        .. InnerWeights(BackwardLayer!, [inputs[0]], BackwardName),
    ];

    public override (long Trainable, long NonTrainable) CountParams(IReadOnlyList<TensorInfo> inputs)
    {
        var (ft, fn) = ForwardLayer!.CountParams([inputs[0]]);
        var (bt, bn) = BackwardLayer!.CountParams([inputs[0]]);
        return Trainable ? (ft + bt, fn + bn) : (0, ft + fn + bt + bn);
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new BidirectionalModule(this, inputs, context);

    sealed class BidirectionalModule : WrapperModule
    {
        readonly BidirectionalLayer layer;
        readonly LayerModule forwardModule;
        readonly LayerModule backwardModule;

        public BidirectionalModule(BidirectionalLayer layer, IReadOnlyList<TensorInfo> inputs, BuildContext context) : base(layer.Name, context)
        {
            this.layer = layer;
            var (forwardInputs, backwardInputs) = layer.Split(inputs);
            forwardModule = Adopt("forward", layer.ForwardLayer!.CreateModule(forwardInputs, context), InnerWeights(layer.ForwardLayer, [inputs[0]], layer.ForwardName), layer.Trainable);
            backwardModule = Adopt("backward", layer.BackwardLayer!.CreateModule(backwardInputs, context), InnerWeights(layer.BackwardLayer, [inputs[0]], layer.BackwardName), layer.Trainable);
        }

        public override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs)
        {
            using var scope = NewDisposeScope();
            var (forwardInputs, backwardInputs) = layer.Split(inputs);
            var f = forwardModule.Forward(forwardInputs);
            var b = backwardModule.Forward(backwardInputs);
            Tensor y = f[0], reversed = b[0];
            if (layer.ForwardLayer!.ReturnSequences) reversed = reversed.flip(1);
            var outputs = new List<Tensor>();
            switch (layer.MergeMode)
            {
                case null:
                    outputs.Add(y);
                    outputs.Add(reversed);
                    break;
                case "concat": outputs.Add(cat([y, reversed], -1)); break;
                case "sum": outputs.Add(y + reversed); break;
                case "mul": outputs.Add(y * reversed); break;
                case "ave": outputs.Add((y + reversed) / 2); break;
                default: throw new InvalidOperationException($"Unknown merge mode '{layer.MergeMode}'.");
            }
            outputs.AddRange(f.Skip(1));
            outputs.AddRange(b.Skip(1));
            foreach (var output in outputs) output.MoveToOuterDisposeScope();
            return outputs;
        }
    }
}
