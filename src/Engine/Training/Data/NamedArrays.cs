using static TorchSharp.torch;

namespace TrainService.Engine.Training.Data;

/// <summary>
/// Arrays given to fit, evaluate or predict as Keras takes them: a list in the model's order
/// (inputs, or outputs for targets), or a dict by name. A single array is a list of one. The
/// arrays stay the caller's; the engine copies what it converts and never disposes them.
/// </summary>
public sealed class NamedArrays
{
    NamedArrays(IReadOnlyList<Tensor> arrays, IReadOnlyList<string>? names)
    {
        Arrays = arrays;
        Names = names;
    }

    public IReadOnlyList<Tensor> Arrays { get; }

    /// <summary>The names of the dict form; null for the list form.</summary>
    public IReadOnlyList<string>? Names { get; }

    public bool IsNamed => Names is not null;

    public int Count => Arrays.Count;

    public static NamedArrays List(params Tensor[] arrays) => new(arrays, null);

    public static NamedArrays Named(IEnumerable<KeyValuePair<string, Tensor>> arrays)
    {
        var list = arrays.ToList();
        return new(list.Select(kv => kv.Value).ToList(), list.Select(kv => kv.Key).ToList());
    }

    public static implicit operator NamedArrays(Tensor array) => List(array);

    /// <summary>The same arrays restricted to rows [start, start + length) (views, no copy).</summary>
    public NamedArrays Slice(long start, long length) => new(Arrays.Select(a => a.narrow(0, start, length)).ToList(), Names);

    /// <summary>The key of entry <paramref name="i"/> in a JSON pointer: its name, or its position.</summary>
    public string KeyOf(int i) => Names?[i] ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// What fit and evaluate train or score on: inputs, targets, and optionally sample weights (one
/// array for every output, or one per output) and validation data.
/// </summary>
public sealed record FitData(NamedArrays X, NamedArrays? Y = null)
{
    public NamedArrays? SampleWeight { get; init; }

    /// <summary>Keras's validation_data; takes precedence over validation_split.</summary>
    public FitData? Validation { get; init; }
}
