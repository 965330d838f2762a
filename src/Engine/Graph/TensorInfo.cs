namespace TrainService.Engine.Graph;

/// <summary>What shape inference knows of a tensor: its Keras shape and element type.</summary>
public sealed record TensorInfo(Shape Shape, DType DType = DType.Float32)
{
    public override string ToString() => Shape.ToString();
}
