namespace TrainService.Engine.Training.Fit;

/// <summary>
/// Seeds derived from the run's seed for each epoch and purpose, so that epoch k shuffles and drops
/// out the same way whether the run got there in one go or resumed from a checkpoint.
/// </summary>
internal static class Seeds
{
    public const ulong Shuffle = 1;
    public const ulong Dropout = 2;

    public static long ForEpoch(long seed, int epoch, ulong purpose)
    {
        var x = SplitMix(unchecked((ulong)seed));
        x = SplitMix(x ^ (ulong)epoch);
        x = SplitMix(x ^ purpose);
        // torch takes seeds as int64; keep them positive.
        return (long)(x >> 1);
    }

    // SplitMix64 (Steele, Lea, Flood 2014): a bijective mixer, so distinct inputs give distinct seeds.
    static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
