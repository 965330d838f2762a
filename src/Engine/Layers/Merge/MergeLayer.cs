using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Merge;

/// <summary>
/// Keras's element-wise merges (Add, Subtract, Multiply, Average, Maximum, Minimum): inputs of one
/// shape, or shapes that broadcast as Keras's _compute_elemwise_op_output_shape allows.
/// </summary>
public abstract class ElementwiseMergeLayer : Layer
{
    public override int MinInputs => 2;

    public override int MaxInputs => int.MaxValue;

    protected override void Configure(LayerConfig config) { }

    protected abstract Tensor Combine(IReadOnlyList<Tensor> inputs);

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var result = inputs[0].Shape;
        for (int i = 1; i < inputs.Count; i++)
        {
            var merged = Broadcast(result, inputs[i].Shape);
            if (merged is null)
                return check.Fail($"{Type} needs inputs of the same shape, but got {string.Join(" and ", inputs.Select(x => x.Shape))}.");
            result = merged;
        }
        return [new TensorInfo(result)];
    }

    /// <summary>Keras broadcasts element-wise merges over trailing axes where a size is 1 (or free).</summary>
    static Shape? Broadcast(Shape a, Shape b)
    {
        if (a.Rank != b.Rank) return null;
        var dims = new int?[a.Rank];
        for (int i = 1; i < a.Rank; i++)
        {
            int? x = a[i], y = b[i];
            if (x == y) dims[i] = x;
            else if (x == 1) dims[i] = y;
            else if (y == 1) dims[i] = x;
            else if (x is null || y is null) dims[i] = x ?? y;
            else return null;
        }
        return new Shape(dims);
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new MergeModule(Name, context, Combine);

    sealed class MergeModule(string name, BuildContext context, Func<IReadOnlyList<Tensor>, Tensor> combine) : LayerModule(name, context)
    {
        public override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs) => [combine(inputs)];
    }
}

[LayerType("Add")]
public sealed class AddLayer : ElementwiseMergeLayer
{
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs)
    {
        var sum = inputs[0] + inputs[1];
        for (int i = 2; i < inputs.Count; i++) sum = sum + inputs[i];
        return sum;
    }
}

[LayerType("Subtract")]
public sealed class SubtractLayer : ElementwiseMergeLayer
{
    public override int MaxInputs => 2;

    protected override Tensor Combine(IReadOnlyList<Tensor> inputs) => inputs[0] - inputs[1];
}

[LayerType("Multiply")]
public sealed class MultiplyLayer : ElementwiseMergeLayer
{
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs)
    {
        var product = inputs[0] * inputs[1];
        for (int i = 2; i < inputs.Count; i++) product = product * inputs[i];
        return product;
    }
}

[LayerType("Average")]
public sealed class AverageLayer : ElementwiseMergeLayer
{
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs)
    {
        var sum = inputs[0] + inputs[1];
        for (int i = 2; i < inputs.Count; i++) sum = sum + inputs[i];
        return sum / inputs.Count;
    }
}

[LayerType("Maximum")]
public sealed class MaximumLayer : ElementwiseMergeLayer
{
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs)
    {
        var result = maximum(inputs[0], inputs[1]);
        for (int i = 2; i < inputs.Count; i++) result = maximum(result, inputs[i]);
        return result;
    }
}

[LayerType("Minimum")]
public sealed class MinimumLayer : ElementwiseMergeLayer
{
    protected override Tensor Combine(IReadOnlyList<Tensor> inputs)
    {
        var result = minimum(inputs[0], inputs[1]);
        for (int i = 2; i < inputs.Count; i++) result = minimum(result, inputs[i]);
        return result;
    }
}

/// <summary>keras.layers.Concatenate: joins inputs along one axis; all other axes must agree.</summary>
[LayerType("Concatenate")]
public sealed class ConcatenateLayer : Layer
{
    public int Axis { get; private set; } = -1;

    public override int MinInputs => 2;

    public override int MaxInputs => int.MaxValue;

    protected override void Configure(LayerConfig config) => Axis = config.Int("axis", -1);

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var first = inputs[0].Shape;
        if (inputs.Any(i => i.Shape.Rank != first.Rank))
            return check.Fail($"Concatenate needs inputs of one rank, but got {string.Join(", ", inputs.Select(i => i.Shape))}.");
        int axis = first.NormalizeAxis(Axis);
        if (axis <= 0 || axis >= first.Rank)
            return check.Fail($"Concatenate axis {Axis} is out of range for inputs of rank {first.Rank} (the batch axis cannot be joined).");
        var dims = first.Dims.ToArray();
        for (int i = 1; i < inputs.Count; i++)
        {
            var shape = inputs[i].Shape;
            for (int d = 1; d < first.Rank; d++)
            {
                if (d == axis) continue;
                if (!Shape.Compatible(dims[d], shape[d]))
                    return check.Fail($"Concatenate on axis {Axis} needs the other axes to match, but got {string.Join(" and ", inputs.Select(x => x.Shape))} (axis {d}: {dims[d]} vs {shape[d]}).");
                dims[d] ??= shape[d];
            }
            dims[axis] = dims[axis] is null || shape[axis] is null ? null : dims[axis] + shape[axis];
        }
        return [new TensorInfo(new Shape(dims))];
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context)
    {
        long axis = inputs[0].Shape.NormalizeAxis(Axis);
        return new ConcatModule(Name, context, axis);
    }

    sealed class ConcatModule(string name, BuildContext context, long axis) : LayerModule(name, context)
    {
        public override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs) => [cat(inputs.ToArray(), axis)];
    }
}
