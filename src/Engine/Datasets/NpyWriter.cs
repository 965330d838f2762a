using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace TrainService.Engine.Datasets;

/// <summary>Writes arrays as NumPy reads them: .npy (format 1.0, C order, little-endian) and .npz archives.</summary>
public static class NpyWriter
{
    public static void Write(Stream stream, NdArray array)
    {
        var descr = array.DType switch
        {
            ArrayDType.Bool => "|b1",
            ArrayDType.Int8 => "|i1",
            ArrayDType.UInt8 => "|u1",
            var t => "<" + (t.IsFloat() ? "f" : "i") + t.ItemSize().ToString(CultureInfo.InvariantCulture),
        };
        var shape = string.Join("", array.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture) + ", "));
        if (array.Shape.Count > 1) shape = shape[..^2];
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({shape}), }}";
        // NumPy pads the header with spaces and a newline so that the data starts on a 64-byte boundary.
        int unpadded = NpyHeader.Magic.Length + 2 + 2 + dict.Length + 1;
        var header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        Span<byte> prefix = stackalloc byte[10];
        NpyHeader.Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], checked((ushort)header.Length));
        stream.Write(prefix);
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(array.Data);
    }

    /// <summary>An .npz archive of the arrays, members deflated (numpy.savez_compressed) or stored (numpy.savez).</summary>
    public static void WriteNpz(Stream stream, IEnumerable<NdArray> arrays, bool compress = true)
    {
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var array in arrays)
        {
            var entry = archive.CreateEntry(array.Name + ".npy", compress ? CompressionLevel.Fastest : CompressionLevel.NoCompression);
            using var member = entry.Open();
            Write(member, array);
        }
    }
}
