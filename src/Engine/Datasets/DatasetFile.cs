namespace TrainService.Engine.Datasets;

public enum DatasetFormat
{
    Npz,
    Npy,
    Csv,
}

/// <summary>Reads a dataset file of any supported format: what arrays it holds, and the arrays themselves.</summary>
public static class DatasetFile
{
    /// <summary>The format a file name's extension announces, or null for an extension that is not read.</summary>
    public static DatasetFormat? FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".npz" => DatasetFormat.Npz,
        ".npy" => DatasetFormat.Npy,
        ".csv" => DatasetFormat.Csv,
        _ => null,
    };

    /// <summary>The array a single .npy file holds is named after the file, or "x" when that is not a valid name.</summary>
    public static string NpyArrayName(string fileName)
    {
        var stem = Path.GetFileNameWithoutExtension(fileName);
        return DatasetNames.IsValid(stem) ? stem : "x";
    }

    /// <summary>Checks the whole file (every header and every byte of data) and describes its arrays.</summary>
    public static IReadOnlyList<ArrayInfo> Inspect(Stream stream, DatasetFormat format, string npyName, DatasetLimits? limits = null)
    {
        limits ??= DatasetLimits.Default;
        return format switch
        {
            DatasetFormat.Npz => NpzReader.Inspect(RequireMagic(stream, NpzReader.Magic, ".npz (zip)"), limits),
            DatasetFormat.Npy => [NpyReader.Inspect(stream, npyName, limits)],
            DatasetFormat.Csv => CsvReader.Inspect(stream, limits),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    /// <summary>Loads the named arrays (all when <paramref name="names"/> is null).</summary>
    public static IReadOnlyDictionary<string, NdArray> Read(Stream stream, DatasetFormat format, string npyName, IReadOnlyCollection<string>? names = null, DatasetLimits? limits = null)
    {
        limits ??= DatasetLimits.Default;
        return format switch
        {
            DatasetFormat.Npz => NpzReader.Read(RequireMagic(stream, NpzReader.Magic, ".npz (zip)"), limits, names),
            DatasetFormat.Npy => new Dictionary<string, NdArray> { [npyName] = NpyReader.Read(stream, npyName, limits) }
                .Where(a => names is null || names.Contains(a.Key)).ToDictionary(),
            DatasetFormat.Csv => CsvReader.Read(stream, limits, names),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    static Stream RequireMagic(Stream stream, ReadOnlySpan<byte> magic, string what)
    {
        Span<byte> start = stackalloc byte[magic.Length];
        int got = stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (got < magic.Length || !start.SequenceEqual(magic))
            throw new DatasetFormatException($"The file is not a {what} archive: it does not start with the zip signature 'PK\\x03\\x04'.");
        stream.Position = 0;
        return stream;
    }
}
