using System.IO.Compression;

namespace TrainService.Engine.Datasets;

/// <summary>
/// Reads .npz archives (numpy.savez and savez_compressed): a zip whose members, stored or
/// deflated, are .npy arrays named "&lt;array&gt;.npy". Member names are only ever array names:
/// one that is not a plain name (a path, "..", a drive) is refused, and nothing is extracted to disk.
/// </summary>
public static class NpzReader
{
    public static ReadOnlySpan<byte> Magic => "PK\u0003\u0004"u8;

    public static IReadOnlyList<ArrayInfo> Inspect(Stream stream, DatasetLimits limits) =>
        Members(stream, limits, (entry, name) =>
        {
            using var member = entry.Open();
            return NpyReader.Inspect(member, name, limits);
        });

    /// <summary>Loads the named arrays (every array when <paramref name="names"/> is null).</summary>
    public static IReadOnlyDictionary<string, NdArray> Read(Stream stream, DatasetLimits limits, IReadOnlyCollection<string>? names = null)
    {
        var arrays = Members(stream, limits, (entry, name) =>
        {
            if (names is not null && !names.Contains(name)) return null;
            using var member = entry.Open();
            return NpyReader.Read(member, name, limits, entry.Length);
        });
        return arrays.Where(a => a is not null).ToDictionary(a => a!.Name, a => a!);
    }

    static List<T> Members<T>(Stream stream, DatasetLimits limits, Func<ZipArchiveEntry, string, T> read)
    {
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            if (archive.Entries.Count > limits.MaxArrays)
                throw new DatasetFormatException($"The archive has {archive.Entries.Count} members; at most {limits.MaxArrays} arrays are read.");
            if (archive.Entries.Count == 0) throw new DatasetFormatException("The archive holds no arrays.");
            long unpacked = archive.Entries.Sum(e => e.Length);
            if (unpacked > limits.MaxUnpackedBytes)
                throw new DatasetFormatException($"The archive unpacks to {unpacked:N0} bytes; at most {limits.MaxUnpackedBytes:N0} are read.");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var results = new List<T>();
            foreach (var entry in archive.Entries)
            {
                var name = ArrayName(entry.FullName);
                if (!seen.Add(name)) throw new DatasetFormatException($"The archive holds array '{name}' twice.");
                results.Add(read(entry, name));
            }
            return results;
        }
        catch (InvalidDataException e)
        {
            throw new DatasetFormatException($"The file is not a readable .npz (zip) archive: {e.Message}");
        }
        catch (NotSupportedException e)
        {
            throw new DatasetFormatException($"The archive uses a compression that is not read (members are stored or deflated): {e.Message}");
        }
    }

    static string ArrayName(string member)
    {
        var name = member.EndsWith(".npy", StringComparison.Ordinal) ? member[..^4] : null;
        if (name is null || !DatasetNames.IsValid(name))
            throw new DatasetFormatException(
                $"The archive member '{Printable(member)}' is not an array name: members are '<name>.npy' where the name is letters, digits, '_', '.' or '-' (no paths).");
        return name;
    }

    static string Printable(string text) =>
        new(text.Take(200).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
