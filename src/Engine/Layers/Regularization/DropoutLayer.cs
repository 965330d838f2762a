using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Regularization;

/// <summary>
/// keras.layers.Dropout: at training, zeroes each value with probability rate and scales the rest
/// by 1/(1 - rate) (inverted dropout); at inference, the identity. noise_shape draws one decision
/// per cell of a smaller shape, broadcast over the axes where it is 1 (e.g. one per channel).
/// </summary>
[LayerType("Dropout")]
public sealed class DropoutLayer : Layer
{
    public double Rate { get; private set; }

    /// <summary>Keras's noise_shape with the batch axis; null entries take the input's size.</summary>
    public IReadOnlyList<int?>? NoiseShape { get; private set; }

    public int? Seed { get; private set; }

    protected override void Configure(LayerConfig config)
    {
        if (!config.Has("rate")) config.Error("rate", "'rate' is required.");
        Rate = config.Double("rate", 0, min: 0, max: 1);
        if (Rate == 1)
        {
            config.Error("rate", "'rate' = 1 would drop every value (TensorFlow rejects it); use a rate below 1.");
            Rate = 0;
        }
        NoiseShape = ReadNoiseShape(config);
        Seed = config.OptionalInt("seed");
    }

    static List<int?>? ReadNoiseShape(LayerConfig config)
    {
        var raw = config.Raw("noise_shape");
        if (raw is null) return null;
        if (raw is JsonArray array && array.All(d => d is null || (d is JsonValue v && v.TryGetValue<int>(out var n) && n > 0)))
            return array.Select(d => d is null ? (int?)null : d.GetValue<int>()).ToList();
        config.Error("noise_shape", $"'noise_shape' must be a list of positive sizes or nulls (one per axis, batch included), not {raw.ToJsonString()}.");
        return null;
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (NoiseShape is { } noise)
        {
            if (noise.Count != shape.Rank)
                return check.Fail($"Dropout's noise_shape [{Describe(noise)}] needs one entry per axis of its input {shape} (the batch axis included).");
            for (int i = 0; i < noise.Count; i++)
                if (noise[i] is int n && n != 1 && shape[i] is int d && n != d)
                    return check.Fail($"Dropout's noise_shape [{Describe(noise)}] does not broadcast to its input {shape}: axis {i} must be 1, null or {d}.");
        }
        return [inputs[0]];
    }

    static string Describe(IReadOnlyList<int?> noise) => string.Join(", ", noise.Select(n => n?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"));

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new DropoutModule(this, context);

    sealed class DropoutModule : UnaryLayerModule
    {
        readonly double rate;
        readonly IReadOnlyList<int?>? noiseShape;
        readonly Generator? generator;

        public DropoutModule(DropoutLayer layer, BuildContext context) : base(layer.Name, context)
        {
            rate = layer.Rate;
            noiseShape = layer.NoiseShape;
            // A seeded layer draws its masks from its own stream, as Keras's SeedGenerator does.
            if (layer.Seed is int seed) generator = new Generator((ulong)seed);
        }

        public override Tensor Forward(Tensor input)
        {
            if (!IsTraining || rate == 0) return input;
            if (noiseShape is null && generator is null) return nn.functional.dropout(input, rate, training: true);
            long[] shape = noiseShape is null
                ? input.shape
                : noiseShape.Select((n, i) => n is int size ? size : input.shape[i]).ToArray();
            // Drawn on the CPU so that a seed gives the same masks on every device.
            using var uniform = rand(shape, generator: generator, dtype: input.dtype);
            using var keep = (uniform >= rate).to_type(input.dtype).to(input.device);
            return input * keep * (1 / (1 - rate));
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) generator?.Dispose();
            base.Dispose(disposing);
        }
    }
}
