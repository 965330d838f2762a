namespace TrainService.Engine.Graph;

/// <summary>
/// A tensor shape as Keras writes it: the batch axis first (always free), then the sample axes,
/// each a size or null for a free size.
/// </summary>
public sealed class Shape : IEquatable<Shape>
{
    readonly int?[] dims;

    public Shape(IEnumerable<int?> dimsWithBatch)
    {
        dims = dimsWithBatch.ToArray();
        if (dims.Length == 0) throw new ArgumentException("A shape has at least the batch axis.", nameof(dimsWithBatch));
    }

    /// <summary>A batch of samples of the given shape (keras.Input(shape=...)).</summary>
    public static Shape OfSample(IEnumerable<int?> sampleDims) => new(new int?[] { null }.Concat(sampleDims));

    public static Shape OfSample(params int[] sampleDims) => OfSample(sampleDims.Select(d => (int?)d));

    /// <summary>Rank including the batch axis.</summary>
    public int Rank => dims.Length;

    public int? this[int axis] => dims[axis < 0 ? dims.Length + axis : axis];

    public IReadOnlyList<int?> Dims => dims;

    /// <summary>The sample axes (all but the batch axis).</summary>
    public IReadOnlyList<int?> SampleDims => dims[1..];

    public int? Last => dims[^1];

    public bool IsFullyDefined => dims.Skip(1).All(d => d.HasValue);

    /// <summary>Number of elements of one sample, or null when a sample axis is free.</summary>
    public long? SampleSize => IsFullyDefined ? dims.Skip(1).Aggregate(1L, (p, d) => p * d!.Value) : null;

    public Shape WithLast(int? size) => With(dims.Length - 1, size);

    public Shape With(int axis, int? size)
    {
        var copy = (int?[])dims.Clone();
        copy[axis < 0 ? copy.Length + axis : axis] = size;
        return new Shape(copy);
    }

    /// <summary>Normalises a Keras axis (negative counts from the end, the batch axis is 0).</summary>
    public int NormalizeAxis(int axis) => axis < 0 ? dims.Length + axis : axis;

    /// <summary>Keras's printed form, e.g. (None, 32, 32, 3).</summary>
    public override string ToString() =>
        "(" + string.Join(", ", dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None")) + (dims.Length == 1 ? ",)" : ")");

    public bool Equals(Shape? other) => other is not null && dims.SequenceEqual(other.dims);

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in dims) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>True when two sizes can be the same at run time (a free size matches anything).</summary>
    public static bool Compatible(int? a, int? b) => a is null || b is null || a == b;
}
