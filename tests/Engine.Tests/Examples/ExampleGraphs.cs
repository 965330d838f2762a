using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;

namespace TrainService.Engine.Tests.Examples;

/// <summary>A finding a graph must report: where, about which node, and words its message must contain.</summary>
public sealed record ExpectedFinding(string Pointer, string? Node, params string[] Mentions)
{
    public bool Matches(GraphDiagnostic d) =>
        d.Pointer == Pointer && d.Node == Node && Mentions.All(m => d.Message.Contains(m, StringComparison.Ordinal));

    public override string ToString() => $"{Pointer} ({Node}): {string.Join(" ... ", Mentions)}";
}

/// <summary>
/// What one example graph is: its parameter counts and outputs ("name (shape)") when valid, or the
/// errors that refuse it; and its warnings either way.
/// </summary>
public sealed record ExpectedGraph(
    long Total = 0,
    long Trainable = 0,
    long NonTrainable = 0,
    string[]? Outputs = null,
    ExpectedFinding[]? Errors = null,
    ExpectedFinding[]? Warnings = null)
{
    public bool Valid => Errors is null;
}

/// <summary>The graph files of examples/ (copied beside the tests) and what each must give.</summary>
public static class ExampleGraphs
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Examples");

    public static IEnumerable<string> Files =>
        System.IO.Directory.GetFiles(Directory, "*.json").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal);

    public static TheoryData<string> FileData() => new(Files);

    /// <summary>The file's graph, after checking that the engine knows every layer type it uses.</summary>
    public static JsonNode LoadKnown(string file)
    {
        var json = Load(file);
        var missing = MissingLayerTypes(json);
        Assert.True(missing.Count == 0, $"{file} waits for layer types not in the engine yet: {string.Join(", ", missing)}");
        return json;
    }

    public static JsonNode Load(string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(Directory, file)))!;

    /// <summary>Layer types a graph uses (nested graphs included) that the engine does not know yet.</summary>
    static List<string> MissingLayerTypes(JsonNode graph)
    {
        var types = new SortedSet<string>(StringComparer.Ordinal);
        void Visit(JsonNode? node)
        {
            if (node?["nodes"] is not JsonArray nodes) return;
            foreach (var n in nodes)
            {
                if (n?["type"]?.GetValue<string>() is string type && !LayerRegistry.IsKnown(type)) types.Add(type);
                Visit(n?["config"]?["graph"]);
            }
        }
        Visit(graph);
        return types.ToList();
    }

    // Input shapes for the listings that assume "a 4D tensor x": (None, 32, 32, 128) (see examples/README.md).
    public static readonly IReadOnlyDictionary<string, ExpectedGraph> Expected = new Dictionary<string, ExpectedGraph>
    {
        ["dense-snippet.json"] = new(1_056, 1_056, 0, ["dense (None, 32)"]),
        ["mlp.json"] = new(3_466, 3_466, 0, ["dense_6 (None, 10)"]),
        ["qa-two-input.json"] = new(1_000_052, 1_000_052, 0, ["answer (None, 500)"]),
        ["posts-multi-output-as-printed.json"] = new(45_982_476, 45_982_476, 0, ["age (None, 1)", "income (None, 10)", "gender (None, 1)"]),
        ["posts-multi-output.json"] = new(14_146_316, 14_146_316, 0, ["age (None, 1)", "income (None, 10)", "gender (None, 1)"]),
        ["inception-as-printed.json"] = new(Errors:
        [
            new("/nodes/8/inputs", "output", "Node 'output'", "(None, 16, 16, 128)", "(None, 15, 15, 128)", "(None, 7, 7, 128)"),
        ]),
        ["inception.json"] = new(508_800, 508_800, 0, ["output (None, 16, 16, 512)"]),
        ["residual-identity.json"] = new(442_752, 442_752, 0, ["y (None, 32, 32, 128)"]),
        ["residual-linear.json"] = new(311_680, 311_680, 0, ["y (None, 16, 16, 128)"]),
        ["siamese-lstm-as-printed.json"] = new(257, 257, 0, ["predictions (None, None, 1)"], Warnings:
        [
            new("/nodes/0", "lstm", "reaches no output"),
            new("/nodes/1", "left_output", "reaches no output"),
        ]),
        ["siamese-lstm.json"] = new(20_673, 20_673, 0, ["predictions (None, 1)"]),
        ["model-as-layer.json"] = new(3_466, 3_466, 0, ["model_1 (None, 10)"]),
        ["model-as-layer-multi-io.json"] = new(965, 965, 0, ["model (None, 1)", "model_1 (None, 4)"]),
        ["dual-camera-xception.json"] = new(20_861_480, 20_806_952, 54_528, ["merged_features (None, 8, 8, 4096)"]),
    };
}
