using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Config;

/// <summary>
/// A Keras initializer. It draws values for a weight in Keras's layout (fans follow Keras's
/// compute_fans on that layout), which the layer then converts to its torch layout.
/// </summary>
public abstract class Initializer
{
    public abstract string Name { get; }

    /// <summary>A fixed seed from the config (Keras's seed argument), or null to use the model's generator.</summary>
    public int? Seed { get; init; }

    /// <summary>Values of the given Keras shape, float32, on the CPU.</summary>
    public Tensor Create(long[] kerasShape, WeightRandom random)
    {
        if (Seed is int seed)
        {
            return Draw(kerasShape, new WeightRandom((ulong)(uint)seed));
        }
        return Draw(kerasShape, random);
    }

    protected abstract Tensor Draw(long[] shape, WeightRandom random);

    public override string ToString() => Name;

    public static Initializer Zeros { get; } = new ConstantInitializer("zeros", 0);
    public static Initializer Ones { get; } = new ConstantInitializer("ones", 1);
    public static Initializer GlorotUniform { get; } = new VarianceScalingInitializer("glorot_uniform", 1.0, FanMode.FanAvg, Distribution.Uniform);
    public static Initializer Orthogonal { get; } = new OrthogonalInitializer(1.0);

    /// <summary>Keras's RandomUniform(-0.05, 0.05), the string "uniform" and Embedding's default.</summary>
    public static Initializer Uniform { get; } = new RandomUniformInitializer(-0.05, 0.05);

    public static IReadOnlyList<string> Names { get; } =
    [
        "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal", "uniform", "normal",
        "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
        "variance_scaling", "orthogonal", "identity",
    ];

    /// <summary>Reads a Keras initializer (a name or a class_name/config object).</summary>
    public static Initializer? Parse(JsonNode node, out string? problem)
    {
        if (!KerasObject.TryRead(node, out var name, out var c, out problem)) return null;
        var seed = KerasObject.Seed(c);
        double N(string key, double d) => KerasObject.Number(c, key, d);
        Initializer? result = name switch
        {
            "zeros" or "zero" => Zeros,
            "ones" or "one" => Ones,
            "constant" => new ConstantInitializer("constant", N("value", 0)),
            "random_normal" or "normal" => new RandomNormalInitializer(N("mean", 0), N("stddev", 0.05)),
            "random_uniform" or "uniform" => new RandomUniformInitializer(N("minval", -0.05), N("maxval", 0.05)),
            "truncated_normal" => new TruncatedNormalInitializer(N("mean", 0), N("stddev", 0.05)),
            "glorot_uniform" => new VarianceScalingInitializer(name, 1.0, FanMode.FanAvg, Distribution.Uniform),
            "glorot_normal" => new VarianceScalingInitializer(name, 1.0, FanMode.FanAvg, Distribution.TruncatedNormal),
            "he_uniform" => new VarianceScalingInitializer(name, 2.0, FanMode.FanIn, Distribution.Uniform),
            "he_normal" => new VarianceScalingInitializer(name, 2.0, FanMode.FanIn, Distribution.TruncatedNormal),
            "lecun_uniform" => new VarianceScalingInitializer(name, 1.0, FanMode.FanIn, Distribution.Uniform),
            "lecun_normal" => new VarianceScalingInitializer(name, 1.0, FanMode.FanIn, Distribution.TruncatedNormal),
            "variance_scaling" => VarianceScaling(c, out problem),
            "orthogonal" => new OrthogonalInitializer(N("gain", 1.0)),
            "identity" => new IdentityInitializer(N("gain", 1.0)),
            _ => null,
        };
        if (result is null)
        {
            problem ??= $"unknown initializer '{name}' (known: {string.Join(", ", Names)})";
            return null;
        }
        return seed is null ? result : result.WithSeed(seed.Value);
    }

    static VarianceScalingInitializer? VarianceScaling(JsonObject c, out string? problem)
    {
        problem = null;
        var scale = KerasObject.Number(c, "scale", 1.0);
        // A value that is not a string is no mode or distribution Keras knows: reported below like any unknown one.
        var mode = c["mode"] is null ? "fan_in" : c["mode"] is JsonValue mv && mv.TryGetText(out var ms) ? ms : c["mode"]!.ToJsonString();
        var distribution = c["distribution"] is null ? "truncated_normal"
            : c["distribution"] is JsonValue dv && dv.TryGetText(out var ds) ? ds : c["distribution"]!.ToJsonString();
        FanMode? m = mode switch { "fan_in" => FanMode.FanIn, "fan_out" => FanMode.FanOut, "fan_avg" => FanMode.FanAvg, _ => null };
        Distribution? d = distribution switch
        {
            "truncated_normal" or "normal" => Config.Distribution.TruncatedNormal,
            "untruncated_normal" => Config.Distribution.UntruncatedNormal,
            "uniform" => Config.Distribution.Uniform,
            _ => null,
        };
        if (m is null || d is null || scale <= 0)
        {
            problem = $"variance_scaling needs scale > 0, mode fan_in/fan_out/fan_avg and distribution truncated_normal/untruncated_normal/uniform";
            return null;
        }
        return new VarianceScalingInitializer("variance_scaling", scale, m.Value, d.Value);
    }

    protected abstract Initializer WithSeedCore(int seed);

    public Initializer WithSeed(int seed) => WithSeedCore(seed);

    /// <summary>Keras's compute_fans: the last two axes are (in, out), earlier axes the receptive field.</summary>
    public static (double FanIn, double FanOut) ComputeFans(long[] shape)
    {
        return shape.Length switch
        {
            0 => (1, 1),
            1 => (shape[0], shape[0]),
            2 => (shape[0], shape[1]),
            _ => ComputeConvFans(shape),
        };

        static (double, double) ComputeConvFans(long[] shape)
        {
            double receptive = 1;
            for (int i = 0; i < shape.Length - 2; i++) receptive *= shape[i];
            return (shape[^2] * receptive, shape[^1] * receptive);
        }
    }

    internal static Tensor TruncatedNormal(long[] shape, double mean, double stddev, WeightRandom random) =>
        random.TruncatedNormal(shape, mean, stddev);
}

public enum FanMode
{
    FanIn,
    FanOut,
    FanAvg,
}

public enum Distribution
{
    TruncatedNormal,
    UntruncatedNormal,
    Uniform,
}

public sealed class ConstantInitializer(string name, double value) : Initializer
{
    public override string Name => name;

    public double Value => value;

    protected override Tensor Draw(long[] shape, WeightRandom random) => full(shape, value, dtype: ScalarType.Float32);

    protected override Initializer WithSeedCore(int seed) => this;
}

public sealed class RandomNormalInitializer(double mean, double stddev) : Initializer
{
    public override string Name => "random_normal";

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        return random.Normal(shape, mean, stddev);
    }

    protected override Initializer WithSeedCore(int seed) => new RandomNormalInitializer(mean, stddev) { Seed = seed };
}

public sealed class RandomUniformInitializer(double minval, double maxval) : Initializer
{
    public override string Name => "random_uniform";

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        return random.Uniform(shape, minval, maxval);
    }

    protected override Initializer WithSeedCore(int seed) => new RandomUniformInitializer(minval, maxval) { Seed = seed };
}

public sealed class TruncatedNormalInitializer(double mean, double stddev) : Initializer
{
    public override string Name => "truncated_normal";

    protected override Tensor Draw(long[] shape, WeightRandom random) => TruncatedNormal(shape, mean, stddev, random);

    protected override Initializer WithSeedCore(int seed) => new TruncatedNormalInitializer(mean, stddev) { Seed = seed };
}

public sealed class VarianceScalingInitializer(string name, double scale, FanMode mode, Distribution distribution) : Initializer
{
    public override string Name => name;

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        var (fanIn, fanOut) = ComputeFans(shape);
        var n = mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => (fanIn + fanOut) / 2,
        };
        var s = scale / Math.Max(1.0, n);
        switch (distribution)
        {
            case Distribution.TruncatedNormal:
                // 0.879... is the stddev of a unit normal truncated at two standard deviations.
                return TruncatedNormal(shape, 0, Math.Sqrt(s) / 0.87962566103423978, random);
            case Distribution.UntruncatedNormal:
                return random.Normal(shape, 0, Math.Sqrt(s));
            default:
                var limit = Math.Sqrt(3 * s);
                return random.Uniform(shape, -limit, limit);
        }
    }

    protected override Initializer WithSeedCore(int seed) => new VarianceScalingInitializer(name, scale, mode, distribution) { Seed = seed };
}

/// <summary>Keras's Orthogonal: QR of a normal matrix of the flattened shape, signs fixed by diag(R).</summary>
public sealed class OrthogonalInitializer(double gain) : Initializer
{
    public override string Name => "orthogonal";

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        if (shape.Length < 2) throw new ArgumentException("The orthogonal initializer needs a weight of rank 2 or more.");
        long cols = shape[^1];
        long rows = shape.Aggregate(1L, (p, d) => p * d) / cols;
        using var scope = NewDisposeScope();
        var a = random.Normal([Math.Max(rows, cols), Math.Min(rows, cols)], 0, 1, ScalarType.Float64);
        var (q, r) = linalg.qr(a);
        var d = r.diagonal().sign();
        q = q * d;
        if (rows < cols) q = q.t();
        return (q * gain).reshape(shape).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    protected override Initializer WithSeedCore(int seed) => new OrthogonalInitializer(gain) { Seed = seed };
}

public sealed class IdentityInitializer(double gain) : Initializer
{
    public override string Name => "identity";

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        if (shape.Length != 2) throw new ArgumentException("The identity initializer needs a 2-D weight.");
        using var identity = eye(shape[0], shape[1], dtype: ScalarType.Float32);
        return identity * gain;
    }

    protected override Initializer WithSeedCore(int seed) => this;
}

public static class InitializerConfig
{
    public static Initializer Initializer(this LayerConfig config, string key, Initializer defaultValue)
    {
        var raw = config.Raw(key);
        if (raw is null) return defaultValue;
        var result = Config.Initializer.Parse(raw, out var problem);
        if (result is null) config.Error(key, $"'{key}': {problem}.");
        return result ?? defaultValue;
    }
}
