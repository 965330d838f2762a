namespace TrainService.Engine.Datasets;

/// <summary>What a dataset says about one of its arrays: its name, element type and shape (samples first).</summary>
public sealed record ArrayInfo(string Name, ArrayDType DType, IReadOnlyList<long> Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (p, d) => p * d);

    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Count == 1 ? ",)" : ")");

    public override string ToString() => $"{Name}: {DType.NumpyName()} {ShapeText}";
}
