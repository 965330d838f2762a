using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Reshaping;

/// <summary>keras.layers.Reshape: each sample to target_shape, where one size may be -1 (inferred).</summary>
[LayerType("Reshape")]
public sealed class ReshapeLayer : Layer
{
    public IReadOnlyList<int> TargetShape { get; private set; } = [];

    protected override void Configure(LayerConfig config)
    {
        TargetShape = config.IntList("target_shape") ?? [];
        if (TargetShape.Count(d => d == -1) > 1)
            config.Error("target_shape", $"'target_shape' [{string.Join(", ", TargetShape)}] may leave one size to infer (-1), not {TargetShape.Count(d => d == -1)}.");
        else if (TargetShape.Any(d => d == 0 || d < -1))
            config.Error("target_shape", $"'target_shape' [{string.Join(", ", TargetShape)}] must hold positive sizes, and at most one -1.");
    }

    long KnownProduct => TargetShape.Where(d => d != -1).Aggregate(1L, (p, d) => p * d);

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        var free = TargetShape.ToList().IndexOf(-1);
        var dims = TargetShape.Select(d => d == -1 ? (int?)null : d).ToArray();
        if (shape.SampleSize is long size)
        {
            if (free < 0 && size != KnownProduct)
                return check.Fail($"Reshape cannot make {shape} into (None, {string.Join(", ", TargetShape)}): a sample has {size} values, the target shape {KnownProduct}.");
            if (free >= 0)
            {
                if (size % KnownProduct != 0)
                    return check.Fail($"Reshape cannot make {shape} into (None, {string.Join(", ", TargetShape)}): a sample's {size} values are not a multiple of {KnownProduct}.");
                dims[free] = checked((int)(size / KnownProduct));
            }
        }
        return [new TensorInfo(new Shape([null, .. dims]))];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new ReshapeModule(this, context);

    sealed class ReshapeModule(ReshapeLayer layer, BuildContext context) : UnaryLayerModule(layer.Name, context)
    {
        readonly long[] target = layer.TargetShape.Select(d => (long)d).ToArray();
        readonly long known = layer.KnownProduct;
        readonly bool inferred = layer.TargetShape.Contains(-1);

        public override Tensor Forward(Tensor input)
        {
            // A free input size is only known now; torch's own message would not name the layer.
            long size = input.shape.Skip(1).Aggregate(1L, (p, d) => p * d);
            if (inferred ? size % known != 0 : size != known)
                throw new ArgumentException($"Layer '{layer.Name}': cannot reshape samples of shape ({string.Join(", ", input.shape.Skip(1))}) ({size} values) into ({string.Join(", ", target)}).");
            return input.reshape([input.shape[0], .. target]);
        }
    }
}
