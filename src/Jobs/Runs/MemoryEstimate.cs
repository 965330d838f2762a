using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TrainService.Engine.Graph;

namespace TrainService.Jobs.Runs;

/// <summary>
/// What a run needs on its device, estimated before it is queued: weights, their gradients, the
/// optimizer's slots, the activations of one batch kept for the backward pass, and (on CPU, where
/// the dataset is loaded) the arrays the run reads. All float32.
/// </summary>
public sealed record MemoryEstimate(
    long WeightBytes,
    long GradientBytes,
    long OptimizerBytes,
    long ActivationBytes,
    long DataBytes,
    long TotalBytes,
    long DeviceMemoryBytes)
{
    const int Float32 = 4;

    [JsonIgnore]
    public bool Fits => TotalBytes <= DeviceMemoryBytes;

    public static MemoryEstimate Of(ModelGraph graph, JsonNode? optimizer, int batchSize, long dataElements, string device, long deviceMemoryBytes)
    {
        long weights = graph.TotalParams * Float32;
        long gradients = graph.TrainableParams * Float32;
        long optimizerBytes = OptimizerSlots(optimizer) * graph.TrainableParams * Float32;
        // Every node's outputs for one batch, and as much again for their gradients.
        long perSample = graph.Inputs.Sum(i => i.Info.Shape.SampleSizeOrOne())
            + graph.ExecutionOrder.Sum(n => n.Outputs.Sum(o => o.Shape.SampleSizeOrOne()));
        long activations = 2 * perSample * batchSize * Float32;
        // The dataset is read into host memory and converted to float32 tensors: twice its elements.
        long data = device == "cpu" ? 2 * dataElements * Float32 : 0;
        long total = weights + gradients + optimizerBytes + activations + data;
        return new MemoryEstimate(weights, gradients, optimizerBytes, activations, data, total, deviceMemoryBytes);
    }

    /// <summary>Tensors the optimizer keeps per weight: Keras's slots (momentums, velocities, accumulators).</summary>
    static int OptimizerSlots(JsonNode? optimizer)
    {
        var (name, config) = optimizer switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => (s, null),
            JsonObject o => ((o["type"] ?? o["class_name"])?.GetValue<string>() ?? "", o["config"] as JsonObject ?? o),
            _ => ("", (JsonObject?)null),
        };
        bool Flag(string key) => config?[key] is JsonValue f && f.GetValueKind() == JsonValueKind.True;
        bool NonZero(string key) => config?[key] is JsonValue f && f.TryGetValue<double>(out var d) && d != 0;
        return name.ToLowerInvariant() switch
        {
            "adam" or "adamw" => Flag("amsgrad") ? 3 : 2,
            "rmsprop" => 1 + (NonZero("momentum") ? 1 : 0) + (Flag("centered") ? 1 : 0),
            "sgd" => NonZero("momentum") ? 1 : 0,
            "adagrad" => 1,
            _ => 2,
        };
    }

    public string Serialize() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public string Describe() =>
        $"estimated {Mib(TotalBytes)} (weights {Mib(WeightBytes)}, gradients {Mib(GradientBytes)}, optimizer state {Mib(OptimizerBytes)}, " +
        $"activations {Mib(ActivationBytes)}, data {Mib(DataBytes)}) against {Mib(DeviceMemoryBytes)} of device memory";

    static string Mib(long bytes) => $"{bytes / 1048576.0:0.#} MiB";
}

static class ShapeSizes
{
    /// <summary>Elements of one sample, a free axis counted as 1 (its size is known only at run time).</summary>
    public static long SampleSizeOrOne(this Shape shape) => shape.SampleDims.Aggregate(1L, (p, d) => p * (d ?? 1));
}
