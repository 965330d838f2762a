using System.Text;
using System.Text.Json.Nodes;
using TrainService.Engine.Interop;

namespace TrainService.Engine.Tests.Interop;

/// <summary>Files that cannot be imported give an error that says where and why; nothing crashes.</summary>
public class MalformedImportTests
{
    static KerasImportException Refused(byte[] model, IReadOnlyDictionary<string, byte[]>? shards = null) =>
        Assert.Throws<KerasImportException>(() => KerasImporter.Import(model, shards));

    static byte[] Bytes(JsonNode json) => Encoding.UTF8.GetBytes(json.ToJsonString());

    static (JsonObject Model, Dictionary<string, byte[]> Shards) Tfjs()
    {
        var (model, shards) = InteropFixtures.TfjsFiles("tfjs_sequence_conv");
        return (JsonNode.Parse(model)!.AsObject(), shards);
    }

    static JsonArray ManifestWeights(JsonObject model) => model["weightsManifest"]![0]!["weights"]!.AsArray();

    [Fact]
    public void TruncatedJson()
    {
        var (model, _) = InteropFixtures.TfjsFiles("tfjs_sequence_conv");
        var error = Refused(model[..(model.Length / 2)]);
        Assert.Equal("", error.Errors.Single().Pointer);
        Assert.Contains("not valid JSON", error.Errors.Single().Message);
    }

    [Fact]
    public void Cycle()
    {
        var json = JsonNode.Parse(File.ReadAllText(InteropFixtures.PathOf("keras2_twin.json")))!;
        // diff takes the Sequential's output, which takes diff: a cycle.
        var diff = json["config"]!["layers"]!.AsArray().Single(l => l!["name"]!.GetValue<string>() == "diff")!;
        diff["inbound_nodes"] = JsonNode.Parse("""[[["tower", 1, 0, {}], ["stack", 1, 0, {}]]]""");
        var error = Refused(Bytes(json));
        var cycle = Assert.Single(error.Errors, e => e.Message.Contains("cycle", StringComparison.OrdinalIgnoreCase));
        Assert.StartsWith("/config/layers/", cycle.Pointer);
    }

    [Fact]
    public void MissingWeight()
    {
        var (model, shards) = Tfjs();
        var weights = ManifestWeights(model);
        // The last weight (out/bias, 2 floats) leaves the manifest and the shard.
        var last = weights[^1]!;
        weights.RemoveAt(weights.Count - 1);
        shards["group1-shard1of1.bin"] = shards["group1-shard1of1.bin"][..^8];
        var error = Refused(Bytes(model), shards);
        Assert.Contains(error.Errors, e => e.Message.Contains($"has no weight '{last["name"]!.GetValue<string>()}'") && e.Node == "out");
    }

    [Fact]
    public void WeightOfTheWrongShape()
    {
        var (model, shards) = Tfjs();
        var kernel = ManifestWeights(model).Single(w => w!["name"]!.GetValue<string>() == "out/kernel")!;
        kernel["shape"] = new JsonArray(2, 8);
        var error = Refused(Bytes(model), shards);
        var problem = Assert.Single(error.Errors);
        Assert.Contains("has shape (2, 8), but the kernel of layer 'out' is (8, 2)", problem.Message);
        Assert.StartsWith("/weightsManifest/0/weights/", problem.Pointer);
    }

    [Fact]
    public void ManifestNamingAMissingShard()
    {
        var (model, _) = Tfjs();
        var error = Refused(Bytes(model), new Dictionary<string, byte[]> { ["other.bin"] = [1, 2, 3, 4] });
        var problem = Assert.Single(error.Errors);
        Assert.Equal("/weightsManifest/0/paths/0", problem.Pointer);
        Assert.Contains("'group1-shard1of1.bin', which was not sent (sent: other.bin)", problem.Message);
    }

    [Fact]
    public void ShardOfTheWrongSize()
    {
        var (model, shards) = Tfjs();
        shards["group1-shard1of1.bin"] = [.. shards["group1-shard1of1.bin"], 0, 0, 0, 0];
        Assert.Contains("do not belong to this manifest", Refused(Bytes(model), shards).Errors.Single().Message);
    }

    [Fact]
    public void WeightsUnderOtherNamesLoadByPosition()
    {
        var (model, shards) = Tfjs();
        foreach (var weight in ManifestWeights(model)) weight!["name"] = "renamed/" + weight["name"]!.GetValue<string>();
        var imported = KerasImporter.Import(Bytes(model), shards);
        var original = KerasImporter.Import(InteropFixtures.TfjsFiles("tfjs_sequence_conv").Model, shards);
        foreach (var (key, value) in original.Weights!) Assert.Equal(value.Data, imported.Weights![key].Data);
    }

    [Fact]
    public void CorruptHdf5()
    {
        var bytes = new byte[600];
        KerasH5.Signature.CopyTo(bytes, 0);
        new Random(5).NextBytes(bytes.AsSpan(8));
        var problem = Assert.Single(Refused(bytes).Errors);
        Assert.Contains("HDF5", problem.Message);
    }

    [Fact]
    public void CorruptKerasArchive()
    {
        var problem = Assert.Single(Refused([.. "PK\u0003\u0004"u8, .. new byte[40]]).Errors);
        Assert.Contains("zip (.keras) archive", problem.Message);
    }

    [Fact]
    public void LambdaAndCustomLayersAreNamed()
    {
        var json = JsonNode.Parse(File.ReadAllText(InteropFixtures.PathOf("keras3_siamese.json")))!;
        var layers = json["config"]!["layers"]!.AsArray();
        var embed = layers.Single(l => l!["name"]!.GetValue<string>() == "embed")!;
        embed["class_name"] = "Lambda";
        embed["config"] = JsonNode.Parse("""{"name": "embed", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}""");
        var gru = layers.Single(l => l!["name"]!.GetValue<string>() == "gru")!;
        gru["registered_name"] = "MyPackage>FancyGRU";
        var errors = Refused(Bytes(json)).Errors;
        Assert.Contains(errors, e => e.Node == "embed" && e.Message.Contains("Lambda") && e.Message.Contains("Python code") && e.Pointer.EndsWith("/class_name"));
        Assert.Contains(errors, e => e.Node == "gru" && e.Message.Contains("custom layer (registered as 'MyPackage>FancyGRU')"));
    }

    [Fact]
    public void NodeIndexPastTheCalls()
    {
        var json = JsonNode.Parse(File.ReadAllText(InteropFixtures.PathOf("keras3_siamese.json")))!;
        json["config"]!["output_layers"]!["right_hidden"] = new JsonArray("encoder", 3, 1);
        var problem = Assert.Single(Refused(Bytes(json)).Errors);
        Assert.Equal("/config/output_layers/right_hidden", problem.Pointer);
        Assert.Contains("Node 3 of layer 'encoder' does not exist: the layer is called 2 time(s)", problem.Message);
    }

    [Fact]
    public void EngineErrorsPointIntoTheFile()
    {
        var json = JsonNode.Parse(File.ReadAllText(InteropFixtures.PathOf("keras2_twin.json")))!;
        var layers = json["config"]!["layers"]!.AsArray();
        var index = layers.Select((l, i) => (l, i)).Single(p => p.l!["name"]!.GetValue<string>() == "gru").i;
        layers[index]!["config"]!["units"] = -2;
        var problem = Assert.Single(Refused(Bytes(json)).Errors);
        Assert.Equal($"/config/layers/{index}/config/units", problem.Pointer);
    }

    [Fact]
    public void NotAModel()
    {
        Assert.Contains("not a model", Refused("[1, 2]"u8.ToArray()).Errors.Single().Message);
        Assert.Contains("subclassed model", Refused("""{"class_name": "MyModel", "config": {}}"""u8.ToArray()).Errors.Single().Message);
        Assert.Contains("empty", Refused([]).Errors.Single().Message);
    }
}
