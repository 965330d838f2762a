using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using static TorchSharp.torch;

namespace TrainService.Api.Runs;

/// <summary>Tensors to and from JSON nested arrays (samples first), as predict takes and returns them.</summary>
public static class JsonTensors
{
    /// <summary>A rectangular nested array of numbers as a tensor of <paramref name="type"/>; null with the reason at <paramref name="pointer"/>.</summary>
    public static Tensor? Read(JsonNode? json, ScalarType type, string pointer, DiagnosticBag diagnostics, long maxElements)
    {
        var shape = new List<long>();
        for (var node = json; node is JsonArray array; node = array.Count > 0 ? array[0] : null) shape.Add(array.Count);
        if (shape.Count == 0)
        {
            diagnostics.Error(pointer, "Expected a nested array of numbers, samples first.");
            return null;
        }
        long count = 1;
        foreach (var d in shape)
        {
            count *= d;
            if (count > maxElements)
            {
                diagnostics.Error(pointer, $"More than {maxElements} values.");
                return null;
            }
        }
        var values = new double[count];
        long next = 0;
        string? problem = null;
        void Walk(JsonNode? node, int depth, string at)
        {
            if (problem is not null) return;
            if (depth == shape.Count)
            {
                if (node is JsonValue v && v.TryGetValue<double>(out var d)) values[next++] = d;
                else problem = $"{at}: expected a number, found {node?.ToJsonString() ?? "null"}.";
                return;
            }
            if (node is not JsonArray array || array.Count != shape[depth])
            {
                problem = $"{at}: expected a list of {shape[depth]} (the array is not rectangular).";
                return;
            }
            for (int i = 0; i < array.Count; i++) Walk(array[i], depth + 1, JsonPointer.Append(at, i));
        }
        Walk(json, 0, pointer);
        if (problem is not null)
        {
            diagnostics.Error(pointer, problem);
            return null;
        }
        using var doubles = tensor(values, shape.ToArray());
        return doubles.to_type(type);
    }

    /// <summary>A tensor as nested arrays of numbers.</summary>
    public static JsonNode Write(Tensor value)
    {
        using var cpu = value.to_type(ScalarType.Float64).cpu().contiguous();
        var data = cpu.data<double>().ToArray();
        var shape = cpu.shape;
        long offset = 0;
        JsonNode Build(int depth)
        {
            if (depth == shape.Length) return JsonValue.Create(data[offset++]);
            var array = new JsonArray();
            for (long i = 0; i < shape[depth]; i++) array.Add(Build(depth + 1));
            return array;
        }
        return Build(0);
    }
}
