using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers.Reshaping;

/// <summary>keras.layers.Permute: reorders the sample axes; dims are 1-based (the batch axis stays first).</summary>
[LayerType("Permute")]
public sealed class PermuteLayer : Layer
{
    public IReadOnlyList<int> Dims { get; private set; } = [];

    protected override void Configure(LayerConfig config)
    {
        Dims = config.IntList("dims") ?? [];
        if (Dims.Count > 0 && !Dims.Order().SequenceEqual(Enumerable.Range(1, Dims.Count)))
            config.Error("dims", $"'dims' [{string.Join(", ", Dims)}] must be a permutation of 1..{Dims.Count} (the sample axes, 1-based).");
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank != Dims.Count + 1)
            return check.Fail($"Permute with dims [{string.Join(", ", Dims)}] needs inputs with {Dims.Count} sample axes, not {shape}.");
        return [new TensorInfo(new Shape([null, .. Dims.Select(d => shape[d])]))];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context)
    {
        long[] order = [0, .. Dims.Select(d => (long)d)];
        return new FunctionModule(Name, context, x => x.permute(order));
    }
}
