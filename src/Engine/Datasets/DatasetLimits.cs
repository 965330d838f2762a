namespace TrainService.Engine.Datasets;

/// <summary>Bounds on what a dataset file may declare, so that a hostile header cannot make a reader allocate or loop without end.</summary>
public sealed record DatasetLimits
{
    public static DatasetLimits Default { get; } = new();

    /// <summary>Longest .npy header (NumPy's own reader stops at 10,000 bytes).</summary>
    public int MaxHeaderBytes { get; init; } = 10_000;

    public int MaxArrays { get; init; } = 1_000;

    public int MaxRank { get; init; } = 32;

    /// <summary>Largest array held in memory when a dataset is loaded (.NET arrays stop just under 2 GiB).</summary>
    public long MaxArrayBytes { get; init; } = Array.MaxLength;

    public int MaxCsvColumns { get; init; } = 10_000;

    public int MaxCsvFieldChars { get; init; } = 1_000;

    /// <summary>Most bytes an .npz may unpack to, all members together, by their declared sizes (zip bombs stop here, before a byte is inflated).</summary>
    public long MaxUnpackedBytes { get; init; } = 16L << 30;
}
