using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace TrainService.Engine.Datasets;

/// <summary>
/// The header of a .npy array (format versions 1.0, 2.0 and 3.0): magic, version, header length,
/// then a Python dict literal with descr, fortran_order and shape.
/// See numpy.lib.format for the specification.
/// </summary>
public sealed record NpyHeader(ArrayDType DType, bool BigEndian, bool FortranOrder, IReadOnlyList<long> Shape, int HeaderBytes)
{
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public long ElementCount => Shape.Aggregate(1L, (p, d) => p * d);

    public long DataBytes => ElementCount * DType.ItemSize();

    public ArrayInfo Info(string name) => new(name, DType, Shape);

    /// <summary>Reads the header from the start of <paramref name="stream"/>, leaving it at the first data byte.</summary>
    public static NpyHeader Read(Stream stream, string name, DatasetLimits limits)
    {
        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix[..10], 10, throwOnEndOfStream: false);
        if (got < Magic.Length || !prefix[..Magic.Length].SequenceEqual(Magic))
            throw Fail(name, "is not a .npy array: it does not start with the .npy magic string \\x93NUMPY.");
        if (got < 10) throw Fail(name, "is truncated inside its header.");
        int major = prefix[6];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw Fail(name, $"has .npy format version {major}.{prefix[7]}; versions 1.0, 2.0 and 3.0 are read."),
        };
        if (lengthBytes == 4 && stream.ReadAtLeast(prefix[10..12], 2, throwOnEndOfStream: false) < 2)
            throw Fail(name, "is truncated inside its header.");
        long headerLength = lengthBytes == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..10])
            : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..12]);
        if (headerLength > limits.MaxHeaderBytes)
            throw Fail(name, $"declares a {headerLength}-byte header; at most {limits.MaxHeaderBytes} bytes are read.");

        var header = new byte[headerLength];
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            throw Fail(name, "is truncated inside its header.");
        // Versions 1 and 2 write the dict in latin-1, version 3 in UTF-8.
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        var (descr, fortran, shape) = new DictReader(text, name).Read();

        if (ArrayDTypes.ParseDescr(descr) is not { } parsed)
            throw Fail(name, $"has element type '{descr}'; bool, int8, int16, int32, int64, uint8, float16, float32 and float64 are read.");
        var (dtype, bigEndian) = parsed;
        if (shape.Count > limits.MaxRank)
            throw Fail(name, $"has {shape.Count} axes; at most {limits.MaxRank} are read.");
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw Fail(name, $"has a negative size in its shape ({string.Join(", ", shape)}).");
            if (d > 0 && count > limits.MaxArrayBytes / dtype.ItemSize() / d)
                throw Fail(name, $"of shape ({string.Join(", ", shape)}) is larger than the {limits.MaxArrayBytes}-byte limit for one array.");
            count *= d;
        }
        return new NpyHeader(dtype, bigEndian, fortran, shape, (int)(6 + 2 + lengthBytes + headerLength));
    }

    static DatasetFormatException Fail(string name, string message) => new($"Array '{name}' {message}");

    /// <summary>Reads the header's Python dict literal: exactly the keys descr, fortran_order and shape.</summary>
    ref struct DictReader(string text, string name)
    {
        int position;

        public (string Descr, bool Fortran, IReadOnlyList<long> Shape) Read()
        {
            string? descr = null;
            bool? fortran = null;
            List<long>? shape = null;
            Expect('{');
            while (!TryTake('}'))
            {
                var key = ReadString();
                Expect(':');
                switch (key)
                {
                    case "descr" when descr is null: descr = ReadString(); break;
                    case "fortran_order" when fortran is null: fortran = ReadBool(); break;
                    case "shape" when shape is null: shape = ReadTuple(); break;
                    default: throw Error($"has an unexpected or repeated key '{key}' in its header.");
                }
                if (!TryTake(',')) { Expect('}'); break; }
            }
            SkipSpace();
            if (position != text.Length) throw Error("has text after the header's dict.");
            if (descr is null || fortran is null || shape is null)
                throw Error("has a header without descr, fortran_order or shape.");
            return (descr, fortran.Value, shape);
        }

        string ReadString()
        {
            SkipSpace();
            if (position >= text.Length || text[position] is not ('\'' or '"')) throw Error("has a malformed header: a quoted string was expected.");
            char quote = text[position++];
            int end = text.IndexOf(quote, position);
            if (end < 0) throw Error("has a malformed header: a string is not closed.");
            var value = text[position..end];
            position = end + 1;
            return value;
        }

        bool ReadBool()
        {
            SkipSpace();
            if (text.AsSpan(position).StartsWith("True")) { position += 4; return true; }
            if (text.AsSpan(position).StartsWith("False")) { position += 5; return false; }
            throw Error("has a malformed header: fortran_order is True or False.");
        }

        List<long> ReadTuple()
        {
            var dims = new List<long>();
            Expect('(');
            while (!TryTake(')'))
            {
                SkipSpace();
                int start = position;
                while (position < text.Length && char.IsAsciiDigit(text[position])) position++;
                if (start == position || !long.TryParse(text.AsSpan(start, position - start), NumberStyles.None, CultureInfo.InvariantCulture, out var d))
                    throw Error("has a malformed shape in its header.");
                if (position < text.Length && text[position] == 'L') position++; // Python 2's long literals
                dims.Add(d);
                if (dims.Count > 64) throw Error("has too many axes in its shape.");
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return dims;
        }

        void Expect(char c)
        {
            if (!TryTake(c)) throw Error($"has a malformed header: '{c}' was expected at character {position}.");
        }

        bool TryTake(char c)
        {
            SkipSpace();
            if (position < text.Length && text[position] == c) { position++; return true; }
            return false;
        }

        void SkipSpace()
        {
            while (position < text.Length && text[position] is ' ' or '\t' or '\n' or '\r') position++;
        }

        readonly DatasetFormatException Error(string message) => Fail(name, message);
    }
}
