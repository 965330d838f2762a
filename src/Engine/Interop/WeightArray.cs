using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Interop;

/// <summary>A weight's values in Keras's layout, float32, row-major: what Keras's get_weights returns for one weight.</summary>
public sealed record WeightArray(long[] Shape, float[] Data)
{
    public string ShapeText => "(" + string.Join(", ", Shape) + (Shape.Length == 1 ? ",)" : ")");

    public Tensor ToTensor() => tensor(Data, Shape);

    public static WeightArray FromTensor(Tensor value)
    {
        using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        return new WeightArray(cpu.shape, cpu.data<float>().ToArray());
    }
}

/// <summary>Weights keyed as checkpoints key them ("layer/weight", nested models "outer/inner/weight"), read from and written to a model's modules.</summary>
public static class ModelWeights
{
    /// <summary>Every weight of the module in Keras's layout, keyed "layer/weight".</summary>
    public static Dictionary<string, WeightArray> Read(GraphModule module)
    {
        var result = new Dictionary<string, WeightArray>(StringComparer.Ordinal);
        foreach (var (layer, layerModule) in module.LeafLayers())
            foreach (var weight in layerModule.Weights)
            {
                using var value = weight.Read();
                result[$"{layer}/{weight.Name}"] = WeightArray.FromTensor(value);
            }
        return result;
    }

    /// <summary>Sets every weight of the module; a weight without a value is an error.</summary>
    public static void Write(GraphModule module, IReadOnlyDictionary<string, WeightArray> values)
    {
        foreach (var (layer, layerModule) in module.LeafLayers())
            foreach (var weight in layerModule.Weights)
            {
                var key = $"{layer}/{weight.Name}";
                if (!values.TryGetValue(key, out var value))
                    throw new ArgumentException($"No value for weight '{key}'.", nameof(values));
                using var tensor = value.ToTensor();
                weight.Write(tensor);
            }
    }
}
