namespace TrainService.Engine.Training.Compile;

/// <summary>How a compile argument is spread over a model's outputs.</summary>
public enum PerOutputForm
{
    /// <summary>One value for every output ("loss": "mse", "metrics": ["acc"]).</summary>
    All,

    /// <summary>One value per output, in the model's output order.</summary>
    List,

    /// <summary>Values by output name; outputs not named get none.</summary>
    Dict,
}

/// <summary>A compile argument as written: once for all outputs, as a list in output order, or as a dict by output name.</summary>
public sealed record PerOutput<T>(PerOutputForm Form, IReadOnlyList<PerOutputEntry<T>> Entries, string Pointer)
{
    public static PerOutput<T> All(T value, string pointer = "") => new(PerOutputForm.All, [new PerOutputEntry<T>(null, value, pointer)], pointer);

    public static PerOutput<T> List(IEnumerable<T> values, string pointer = "") =>
        new(PerOutputForm.List, values.Select((v, i) => new PerOutputEntry<T>(null, v, pointer + "/" + i)).ToList(), pointer);

    public static PerOutput<T> Dict(IEnumerable<KeyValuePair<string, T>> values, string pointer = "") =>
        new(PerOutputForm.Dict, values.Select(kv => new PerOutputEntry<T>(kv.Key, kv.Value, Graph.JsonPointer.Append(pointer, kv.Key))).ToList(), pointer);
}

/// <summary>One value of a <see cref="PerOutput{T}"/>: its output name in the dict form, and where it was written.</summary>
public sealed record PerOutputEntry<T>(string? Key, T Value, string Pointer);
