using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Wrappers;

/// <summary>
/// keras.layers.TimeDistributed: applies a layer to every step of a sequence (batch, time, ...) by
/// folding time into the batch, calling the layer once, and unfolding its output.
/// </summary>
[LayerType("TimeDistributed")]
public sealed class TimeDistributedLayer : WrapperLayer
{
    public Layer? Inner { get; private set; }

    public override bool AcceptsIntegerInputs => Inner?.AcceptsIntegerInputs ?? false;

    protected override void Configure(LayerConfig config)
    {
        Inner = WrappedLayer.Read(config, "layer", out _);
        if (Inner is not null && (Inner.MinInputs > 1))
            config.Diagnostics.Error(config.PointerOf("layer"), $"TimeDistributed wraps a layer of one input, not {Inner.Type}.", config.Node);
    }

    /// <summary>The inner layer's input: one step of the sequence, (batch, ...rest).</summary>
    static TensorInfo Step(TensorInfo sequence) => sequence with { Shape = new Shape(sequence.Shape.Dims.Where((_, axis) => axis != 1)) };

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank < 3)
            return check.Fail($"TimeDistributed needs inputs of rank 3 or more, (batch, time, ...), not {shape}.");
        var outputs = Inner!.InferOutputs([Step(inputs[0])], check);
        if (outputs is null) return null;
        if (outputs.Count != 1)
            return check.Fail($"TimeDistributed wraps layers of one output, but {Inner.Type} gives {outputs.Count}.");
        var step = outputs[0];
        return [step with { Shape = new Shape([null, shape[1], .. step.Shape.SampleDims]) }];
    }

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) =>
        InnerWeights(Inner!, [Step(inputs[0])]).ToList();

    public override (long Trainable, long NonTrainable) CountParams(IReadOnlyList<TensorInfo> inputs)
    {
        var (trainable, nonTrainable) = Inner!.CountParams([Step(inputs[0])]);
        return Trainable ? (trainable, nonTrainable) : (0, trainable + nonTrainable);
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new TimeDistributedModule(this, inputs[0], context);

    sealed class TimeDistributedModule : WrapperModule
    {
        readonly LayerModule inner;

        public TimeDistributedModule(TimeDistributedLayer layer, TensorInfo input, BuildContext context) : base(layer.Name, context)
        {
            var step = Step(input);
            inner = Adopt("layer", layer.Inner!.CreateModule([step], context), InnerWeights(layer.Inner, [step]), layer.Trainable);
        }

        public override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs)
        {
            using var scope = NewDisposeScope();
            var x = inputs[0];
            long batch = x.shape[0], time = x.shape[1];
            var folded = x.reshape([batch * time, .. x.shape[2..]]);
            var y = inner.Forward([folded])[0];
            var result = y.reshape([batch, time, .. y.shape[1..]]);
            return [result.MoveToOuterDisposeScope()];
        }
    }
}
