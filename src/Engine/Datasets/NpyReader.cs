using System.Buffers;

namespace TrainService.Engine.Datasets;

/// <summary>Reads .npy arrays from streams, in bounded chunks, checking that the data matches the header exactly.</summary>
public static class NpyReader
{
    const int ChunkBytes = 1 << 16;

    /// <summary>Reads the header and walks the data without keeping it: what an upload check needs.</summary>
    public static ArrayInfo Inspect(Stream stream, string name, DatasetLimits limits)
    {
        var header = NpyHeader.Read(stream, name, limits);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long left = header.DataBytes;
            while (left > 0)
            {
                int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (read == 0) throw Truncated(name, header, header.DataBytes - left);
                left -= read;
            }
            EnsureEnd(stream, name);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return header.Info(name);
    }

    /// <summary>Reads the whole array, in C order and little-endian whatever the file's order.</summary>
    /// <param name="fileBytes">The .npy's whole size when the stream cannot say (an .npz member: its declared size).</param>
    public static NdArray Read(Stream stream, string name, DatasetLimits limits, long? fileBytes = null)
    {
        long start = stream.CanSeek ? stream.Position : 0;
        var header = NpyHeader.Read(stream, name, limits);
        // A header may declare gigabytes in a file of a few bytes: allocate only what the file can hold.
        long? available = (stream.CanSeek ? stream.Length - start : fileBytes) - header.HeaderBytes;
        if (available < header.DataBytes) throw Truncated(name, header, Math.Max(0, available.Value));
        var data = new byte[header.DataBytes];
        int got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < data.Length) throw Truncated(name, header, got);
        EnsureEnd(stream, name);
        if (header.BigEndian) SwapBytes(data, header.DType.ItemSize());
        if (header.FortranOrder && header.Shape.Count > 1) data = FortranToC(data, header.Shape, header.DType.ItemSize());
        return new NdArray(header.Info(name), data);
    }

    static void EnsureEnd(Stream stream, string name)
    {
        Span<byte> probe = stackalloc byte[1];
        if (stream.Read(probe) != 0)
            throw new DatasetFormatException($"Array '{name}' has bytes after the data its header declares.");
    }

    static DatasetFormatException Truncated(string name, NpyHeader header, long found) =>
        new($"Array '{name}' is truncated: its header declares {header.DataBytes} bytes of data ({header.DType.NumpyName()}, shape ({string.Join(", ", header.Shape)})), the file holds {found}.");

    static void SwapBytes(byte[] data, int itemSize)
    {
        for (int i = 0; i < data.Length; i += itemSize) data.AsSpan(i, itemSize).Reverse();
    }

    /// <summary>Reorders elements from column-major to row-major: the C-order element (i0..in) sits at Σ ik·(d0·…·dk-1) in Fortran order.</summary>
    static byte[] FortranToC(byte[] data, IReadOnlyList<long> shape, int itemSize)
    {
        int rank = shape.Count;
        var result = new byte[data.Length];
        if (data.Length == 0) return result;
        var fortranStrides = new long[rank];
        fortranStrides[0] = 1;
        for (int k = 1; k < rank; k++) fortranStrides[k] = fortranStrides[k - 1] * shape[k - 1];
        var index = new long[rank];
        long source = 0;
        for (long target = 0; target < data.Length; target += itemSize)
        {
            data.AsSpan((int)(source * itemSize), itemSize).CopyTo(result.AsSpan((int)target, itemSize));
            // Advance the C-order index (last axis fastest), keeping the Fortran offset in step.
            for (int k = rank - 1; k >= 0; k--)
            {
                index[k]++;
                source += fortranStrides[k];
                if (index[k] < shape[k]) break;
                source -= fortranStrides[k] * index[k];
                index[k] = 0;
            }
        }
        return result;
    }
}
