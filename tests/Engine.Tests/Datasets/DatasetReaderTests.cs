using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using TrainService.Engine.Datasets;

namespace TrainService.Engine.Tests.Datasets;

public class DatasetReaderTests
{
    static readonly DatasetLimits Limits = DatasetLimits.Default;

    /// <summary>A .npy file with a header written by hand, as NumPy would for the given version.</summary>
    static byte[] Npy(string dict, byte[] data, int major = 1)
    {
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(dict + "\n");
        var stream = new MemoryStream();
        stream.Write(NpyHeader.Magic);
        stream.WriteByte((byte)major);
        stream.WriteByte(0);
        Span<byte> length = stackalloc byte[4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
            stream.Write(length[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
            stream.Write(length);
        }
        stream.Write(header);
        stream.Write(data);
        return stream.ToArray();
    }

    static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    static NdArray ReadNpy(byte[] file, string name = "x") => NpyReader.Read(new MemoryStream(file), name, Limits);

    static float[] AsFloats(NdArray a) => Enumerable.Range(0, a.Data.Length / 4).Select(i => BitConverter.ToSingle(a.Data, i * 4)).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsEveryNpyVersion(int major)
    {
        var file = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Floats(1, 2, 3, 4), major);
        var array = ReadNpy(file);
        Assert.Equal([2L, 2L], array.Shape);
        Assert.Equal(ArrayDType.Float32, array.DType);
        Assert.Equal([1f, 2, 3, 4], AsFloats(array));
    }

    [Fact]
    public void FortranOrderBecomesCOrder()
    {
        // np.asfortranarray([[1, 2, 3], [4, 5, 6]]) stores 1 4 2 5 3 6.
        var file = Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", Floats(1, 4, 2, 5, 3, 6));
        Assert.Equal([1f, 2, 3, 4, 5, 6], AsFloats(ReadNpy(file)));
    }

    [Fact]
    public void FortranOrderInThreeAxes()
    {
        // x[i,j,k] = 100i + 10j + k for shape (2, 3, 2), written column-major (i fastest).
        var fortran = new List<float>();
        for (int k = 0; k < 2; k++) for (int j = 0; j < 3; j++) for (int i = 0; i < 2; i++) fortran.Add(100 * i + 10 * j + k);
        var file = Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3, 2), }", Floats([.. fortran]));
        var expected = new List<float>();
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 2; k++) expected.Add(100 * i + 10 * j + k);
        Assert.Equal(expected, AsFloats(ReadNpy(file)));
    }

    [Fact]
    public void BigEndianIsSwapped()
    {
        var data = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(data, 258);
        BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(8), -3);
        var array = ReadNpy(Npy("{'descr': '>i8', 'fortran_order': False, 'shape': (2,), }", data));
        Assert.Equal(ArrayDType.Int64, array.DType);
        Assert.Equal(258L, BitConverter.ToInt64(array.Data, 0));
        Assert.Equal(-3L, BitConverter.ToInt64(array.Data, 8));
    }

    [Theory]
    [InlineData("|b1", ArrayDType.Bool)]
    [InlineData("|i1", ArrayDType.Int8)]
    [InlineData("<i2", ArrayDType.Int16)]
    [InlineData("<i4", ArrayDType.Int32)]
    [InlineData("|u1", ArrayDType.UInt8)]
    [InlineData("<f2", ArrayDType.Float16)]
    [InlineData("<f8", ArrayDType.Float64)]
    public void ReadsEachElementType(string descr, ArrayDType dtype)
    {
        var data = new byte[3 * dtype.ItemSize()];
        var array = ReadNpy(Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (3,), }}", data));
        Assert.Equal(dtype, array.DType);
        using var tensor = array.ToTensor();
        Assert.Equal([3L], tensor.shape);
    }

    [Fact]
    public void Float16BecomesATensorOfTheSameValues()
    {
        var data = new[] { (Half)1.5, (Half)(-2) }.SelectMany(h => BitConverter.GetBytes(h)).ToArray();
        var array = ReadNpy(Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", data));
        using var tensor = array.ToTensor().to_type(TorchSharp.torch.ScalarType.Float32);
        Assert.Equal([1.5f, -2f], tensor.data<float>().ToArray());
    }

    [Theory]
    [InlineData("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", "element type '<U4'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "without descr")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected or repeated key 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "malformed shape")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", "larger than")]
    public void RejectsBadHeaders(string dict, string message)
    {
        var e = Assert.Throws<DatasetFormatException>(() => ReadNpy(Npy(dict, Floats(1))));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void RejectsAHeaderLongerThanTheLimit()
    {
        var file = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + new string(' ', 20_000), Floats(1), major: 2);
        Assert.Contains("-byte header", Assert.Throws<DatasetFormatException>(() => ReadNpy(file)).Message);
    }

    [Fact]
    public void TruncatedAndOverlongDataAreRefused()
    {
        var full = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", Floats(1, 2, 3, 4));
        var truncated = full[..^3];
        Assert.Contains("truncated", Assert.Throws<DatasetFormatException>(() => ReadNpy(truncated)).Message);
        Assert.Contains("truncated", Assert.Throws<DatasetFormatException>(() => NpyReader.Inspect(new MemoryStream(truncated), "x", Limits)).Message);
        var overlong = full.Concat(new byte[] { 0 }).ToArray();
        Assert.Contains("bytes after", Assert.Throws<DatasetFormatException>(() => ReadNpy(overlong)).Message);
        Assert.Contains("magic", Assert.Throws<DatasetFormatException>(() => ReadNpy(Encoding.ASCII.GetBytes("hello world"))).Message);
    }

    static byte[] Npz(bool compress, params NdArray[] arrays)
    {
        var stream = new MemoryStream();
        NpyWriter.WriteNpz(stream, arrays, compress);
        return stream.ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void NpzRoundTripsStoredAndDeflated(bool compress)
    {
        var file = Npz(compress, NdArray.Of("a", [1f, 2, 3, 4, 5, 6], 2, 3), NdArray.Of("labels", [7L, 8], 2));
        var infos = DatasetFile.Inspect(new MemoryStream(file), DatasetFormat.Npz, "x");
        Assert.Equal(["a: float32 (2, 3)", "labels: int64 (2,)"], infos.Select(i => i.ToString()));
        var arrays = DatasetFile.Read(new MemoryStream(file), DatasetFormat.Npz, "x", ["labels"]);
        Assert.Equal(["labels"], arrays.Keys);
        Assert.Equal(8L, BitConverter.ToInt64(arrays["labels"].Data, 8));
    }

    [Fact]
    public void NpzRefusesTruncationWrongMagicAndPaths()
    {
        var file = Npz(true, NdArray.Of("a", [1f, 2, 3], 3));
        Assert.Contains("not a readable .npz", Assert.Throws<DatasetFormatException>(
            () => DatasetFile.Inspect(new MemoryStream(file[..(file.Length / 2)]), DatasetFormat.Npz, "x")).Message);
        Assert.Contains("zip signature", Assert.Throws<DatasetFormatException>(
            () => DatasetFile.Inspect(new MemoryStream(Encoding.ASCII.GetBytes("not a zip at all")), DatasetFormat.Npz, "x")).Message);

        var evil = new MemoryStream();
        using (var archive = new ZipArchive(evil, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var member = archive.CreateEntry("../../etc/evil.npy").Open();
            NpyWriter.Write(member, NdArray.Of("a", [1f], 1));
        }
        var e = Assert.Throws<DatasetFormatException>(() => DatasetFile.Inspect(new MemoryStream(evil.ToArray()), DatasetFormat.Npz, "x"));
        Assert.Contains("'../../etc/evil.npy' is not an array name", e.Message);
    }

    [Fact]
    public void NpzMemberThatDisagreesWithItsHeaderIsRefused()
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var member = archive.CreateEntry("a.npy").Open();
            member.Write(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", Floats(1, 2)));
        }
        var e = Assert.Throws<DatasetFormatException>(() => DatasetFile.Inspect(new MemoryStream(stream.ToArray()), DatasetFormat.Npz, "x"));
        Assert.Contains("Array 'a' is truncated", e.Message);
    }

    static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void CsvColumnsBecomeArrays()
    {
        var csv = "id,\"score\",label\r\n1,0.5,3\n2,\"1e3\",4\n\n3,-2,5\n";
        var infos = DatasetFile.Inspect(Text(csv), DatasetFormat.Csv, "x");
        Assert.Equal(["id: int64 (3,)", "score: float64 (3,)", "label: int64 (3,)"], infos.Select(i => i.ToString()));
        var arrays = DatasetFile.Read(Text(csv), DatasetFormat.Csv, "x");
        Assert.Equal(1000.0, BitConverter.ToDouble(arrays["score"].Data, 8));
        Assert.Equal(5L, BitConverter.ToInt64(arrays["label"].Data, 16));
    }

    [Theory]
    [InlineData("a,b\n1,x\n", "line 2, column 'b': 'x' is not a number")]
    [InlineData("a,b\n1,2,3\n", "line 2: 3 fields where the header has 2")]
    [InlineData("a,a\n1,2\n", "'a' appears twice")]
    [InlineData("a,../b\n1,2\n", "column 2 is named '../b'")]
    [InlineData("a\n\"1\n", "quoted field is not closed")]
    [InlineData("a,b\n", "no data rows")]
    [InlineData("", "empty")]
    public void CsvProblemsAreNamed(string csv, string message)
    {
        var e = Assert.Throws<DatasetFormatException>(() => DatasetFile.Inspect(Text(csv), DatasetFormat.Csv, "x"));
        Assert.Contains(message, e.Message);
    }
}
