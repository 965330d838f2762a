using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Config;

/// <summary>
/// The random stream that initial weights are drawn from: xoshiro256** seeded through SplitMix64,
/// filled on the managed side. Deterministic for a seed on every platform and device, and for a
/// large model (Xception: 21M values) several times faster than libtorch's rand with an explicit
/// generator. Not thread-safe: one per model build.
/// </summary>
public sealed class WeightRandom
{
    ulong s0, s1, s2, s3;

    public WeightRandom(ulong seed)
    {
        ulong x = seed;
        s0 = SplitMix(ref x);
        s1 = SplitMix(ref x);
        s2 = SplitMix(ref x);
        s3 = SplitMix(ref x);
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    ulong Next()
    {
        ulong result = ulong.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = ulong.RotateLeft(s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Marsaglia's polar method).</summary>
    public double NextNormal()
    {
        if (spare is double s)
        {
            spare = null;
            return s;
        }
        double u, v, r;
        do
        {
            u = 2 * NextDouble() - 1;
            v = 2 * NextDouble() - 1;
            r = u * u + v * v;
        }
        while (r >= 1 || r == 0);
        var factor = Math.Sqrt(-2 * Math.Log(r) / r);
        spare = v * factor;
        return u * factor;
    }

    double? spare;

    public Tensor Uniform(long[] shape, double low, double high)
    {
        var data = new float[Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(low + (high - low) * NextDouble());
        return tensor(data, shape);
    }

    public Tensor Normal(long[] shape, double mean, double stddev, ScalarType dtype = ScalarType.Float32)
    {
        if (dtype == ScalarType.Float64)
        {
            var wide = new double[Count(shape)];
            for (int i = 0; i < wide.Length; i++) wide[i] = mean + stddev * NextNormal();
            return tensor(wide, shape);
        }
        var data = new float[Count(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(mean + stddev * NextNormal());
        return tensor(data, shape);
    }

    /// <summary>Normal samples redrawn until within two standard deviations (Keras's TruncatedNormal).</summary>
    public Tensor TruncatedNormal(long[] shape, double mean, double stddev)
    {
        var data = new float[Count(shape)];
        for (int i = 0; i < data.Length; i++)
        {
            double z;
            do z = NextNormal(); while (z < -2 || z > 2);
            data[i] = (float)(mean + stddev * z);
        }
        return tensor(data, shape);
    }

    static int Count(long[] shape)
    {
        long n = shape.Aggregate(1L, (p, d) => p * d);
        if (n > Array.MaxLength) throw new ArgumentException($"A weight of shape ({string.Join(", ", shape)}) is too large to initialise.");
        return (int)n;
    }
}
