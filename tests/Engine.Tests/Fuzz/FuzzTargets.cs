using System.IO.Compression;
using System.Text;
using TrainService.Engine.Datasets;
using TrainService.Engine.Graph;
using TrainService.Engine.Interop;
using TrainService.Engine.Tests.Interop;

namespace TrainService.Engine.Tests.Fuzz;

/// <summary>
/// A fuzz target per parser, each over a corpus of valid inputs in the repository (the examples,
/// dataset files made by our writer, the interop fixtures) and their mutations. CI-sized here.
/// </summary>
public sealed class FuzzTargets
{
    static readonly string Root = FindRoot();

    static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory!.FullName, "TrainService.sln"))) directory = directory.Parent;
        return directory.FullName;
    }

    static IReadOnlyList<string> GraphCorpus() =>
        Directory.GetFiles(Path.Combine(Root, "examples"), "*.json").Order().Select(File.ReadAllText).ToList();

    [Fact]
    public void GraphParserAndValidator() => new FuzzRun("graph", 3000).Run(
        GraphCorpus(),
        (mutator, text, rounds) => mutator.Json(text, rounds),
        text =>
        {
            var diagnostics = new DiagnosticBag();
            var spec = GraphSpecParser.Parse(text, diagnostics);
            var graph = spec is null ? null : GraphBuilder.Build(spec, diagnostics, "");
            if (graph is null && !diagnostics.HasErrors) throw new InvalidOperationException("no graph and no error");
            if (diagnostics.Errors.Any(e => string.IsNullOrWhiteSpace(e.Message))) throw new InvalidOperationException("an error without a message");
            return graph is null ? "rejected: GraphDiagnostic errors (each with its JSON pointer)" : "valid graph";
        },
        Encoding.UTF8.GetBytes);

    static NdArray[] Arrays(int seed) =>
    [
        NdArray.Of("x", Enumerable.Range(0, 24).Select(i => (float)(i * seed)).ToArray(), 4, 6),
        NdArray.Of("labels", Enumerable.Range(0, 4).Select(i => (long)(i % 3)).ToArray(), 4),
        NdArray.Of("y", Enumerable.Range(0, 8).Select(i => i * 0.5).ToArray(), 2, 2, 2),
    ];

    static IReadOnlyList<byte[]> NpyCorpus() => Arrays(3).Select(array =>
    {
        var stream = new MemoryStream();
        NpyWriter.Write(stream, array);
        return stream.ToArray();
    }).ToList();

    static IReadOnlyList<byte[]> NpzCorpus()
    {
        var files = new List<byte[]>();
        foreach (var compress in new[] { true, false })
        {
            var stream = new MemoryStream();
            NpyWriter.WriteNpz(stream, Arrays(5), compress);
            files.Add(stream.ToArray());
        }
        files.Add(File.ReadAllBytes(Path.Combine(Root, "examples", "data", "qa.npz")));
        files.Add(ZipOf(("../escape.npy", NpyCorpus()[0]), ("a/b.npy", NpyCorpus()[1])));
        return files;
    }

    static byte[] ZipOf(params (string Name, byte[] Data)[] members)
    {
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in members)
                using (var entry = zip.CreateEntry(name).Open()) entry.Write(data);
        return stream.ToArray();
    }

    static IReadOnlyList<byte[]> CsvCorpus() =>
    [
        "a,b,label\n1,2.5,0\n3,4.25,1\n5,6,2\n"u8.ToArray(),
        "\"quoted, name\",x\n1,2\n3,4\n"u8.ToArray(),
        "x\n1e300\n-2\nNaN\n"u8.ToArray(),
    ];

    /// <summary>Inspects the file as an upload does, then reads it as a run does: both must answer.</summary>
    static Func<byte[], string> Dataset(DatasetFormat format) => bytes =>
    {
        var arrays = DatasetFile.Inspect(new MemoryStream(bytes), format, "data");
        var read = DatasetFile.Read(new MemoryStream(bytes), format, "data");
        if (read.Count != arrays.Count) throw new InvalidOperationException($"inspect saw {arrays.Count} arrays, read {read.Count}");
        return $"{arrays.Count} arrays";
    };

    [Fact]
    public void NpyReader() => new FuzzRun("npy", 3000).Run(NpyCorpus(), (m, b, r) => m.Bytes(b, NpyCorpus(), r), Dataset(DatasetFormat.Npy), b => b,
        typeof(DatasetFormatException));

    [Fact]
    public void NpzReader() => new FuzzRun("npz", 1500).Run(NpzCorpus(), (m, b, r) => m.Bytes(b, NpzCorpus(), r), Dataset(DatasetFormat.Npz), b => b,
        typeof(DatasetFormatException));

    [Fact]
    public void CsvReader() => new FuzzRun("csv", 3000).Run(CsvCorpus(), (m, b, r) => m.Bytes(b, CsvCorpus(), r), Dataset(DatasetFormat.Csv), b => b,
        typeof(DatasetFormatException));

    static IReadOnlyList<byte[]> KerasJsonCorpus() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "interop"), "*.json").Order().Select(File.ReadAllBytes)
            .Concat(new[] { "tfjs_dense_merges", "tfjs_nested_multi_output", "tfjs_recurrent_hard_sigmoid" }.Select(n => InteropFixtures.TfjsFiles(n).Model))
            .ToList();

    [Fact]
    public void NpzZipBombIsRefusedByItsDeclaredSizeBeforeInflating()
    {
        var zeros = new byte[64 << 20];
        var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
            for (int i = 0; i < 4; i++)
                using (var entry = zip.CreateEntry($"a{i}.npy", CompressionLevel.SmallestSize).Open()) entry.Write(zeros);
        Assert.True(stream.Length < 1 << 20, $"the bomb is {stream.Length} bytes");
        var error = Assert.Throws<DatasetFormatException>(() =>
            DatasetFile.Inspect(new MemoryStream(stream.ToArray()), DatasetFormat.Npz, "data", new DatasetLimits { MaxUnpackedBytes = 128L << 20 }));
        Assert.Contains("unpacks to 268,435,456 bytes", error.Message);
    }

    [Fact]
    public void NpyHeaderClaimingMoreThanTheFileHoldsIsRefusedBeforeAllocating()
    {
        var small = NpyCorpus()[0];
        // Shape (4, 6) becomes (40000000, 6): about a gigabyte declared in a file of a few hundred bytes.
        var text = Encoding.Latin1.GetString(small).Replace("(4, 6)", "(40000000, 6)");
        var bytes = Encoding.Latin1.GetBytes(text);
        Assert.Contains("(40000000, 6)", text);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<DatasetFormatException>(() => DatasetFile.Read(new MemoryStream(bytes), DatasetFormat.Npy, "x"));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "nothing near the declared size was allocated");
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void UnknownLayerTypeOfAHundredThousandCharactersIsAnsweredAtOnce()
    {
        var graph = "{\"inputs\": [{\"name\": \"x\", \"shape\": [2]}], \"nodes\": [{\"name\": \"y\", \"type\": \"" + new string('D', 100_000)
            + "\", \"inputs\": [\"x\"]}], \"outputs\": [\"y\"]}";
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(graph));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20, "the 'did you mean' search did not allocate a distance table per known type");
        Assert.Contains("/nodes/0/type", error.Message);
    }

    [Fact]
    public void KerasJsonImporter() => new FuzzRun("keras-json", 2000).Run(
        KerasJsonCorpus(),
        (mutator, bytes, rounds) => Encoding.UTF8.GetBytes(mutator.Json(Encoding.UTF8.GetString(bytes), rounds)),
        bytes =>
        {
            // The shards the fixtures' manifests name, so that weights are read as well.
            var shards = new[] { "tfjs_dense_merges", "tfjs_nested_multi_output", "tfjs_recurrent_hard_sigmoid" }
                .SelectMany(n => InteropFixtures.TfjsFiles(n).Shards).GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.First().Value);
            var imported = KerasImporter.Import(bytes, shards);
            return imported.Weights is null ? "graph" : "graph and weights";
        },
        b => b,
        typeof(KerasImportException));

    static IReadOnlyList<byte[]> KerasArchiveCorpus()
    {
        var (model, shards) = InteropFixtures.TfjsFiles("tfjs_nested_multi_output");
        var imported = KerasImporter.Import(model, shards);
        var archive = new MemoryStream();
        KerasExporter.WriteKerasArchive(archive, imported.Graph, imported.Weights!);
        return [archive.ToArray()];
    }

    [Fact]
    public void KerasArchiveImporter() => new FuzzRun("keras-archive", 800).Run(
        KerasArchiveCorpus(),
        (mutator, bytes, rounds) => mutator.Bytes(bytes, KerasArchiveCorpus(), rounds),
        bytes => KerasImporter.Import(bytes).Format.ToString(),
        b => b,
        typeof(KerasImportException));
}
