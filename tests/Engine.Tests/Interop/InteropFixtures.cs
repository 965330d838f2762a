using System.Text.Json.Nodes;
using TrainService.Engine.Interop;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Interop;

/// <summary>Fixtures of tools/keras-reference/export-models.js and the comparisons the interop tests share.</summary>
static class InteropFixtures
{
    public const double Tolerance = 1e-5;

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "interop");

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A fixture's model.json and every shard beside it, by file name.</summary>
    public static (byte[] Model, Dictionary<string, byte[]> Shards) TfjsFiles(string name)
    {
        var dir = PathOf(name);
        var shards = System.IO.Directory.GetFiles(dir, "*.bin").ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
        return (File.ReadAllBytes(Path.Combine(dir, "model.json")), shards);
    }

    public static JsonObject Expected(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(PathOf(name), "expected.json")))!.AsObject();

    public static Tensor ToTensor(JsonNode node)
    {
        var shape = node["shape"]!.AsArray().Select(d => (long)d!.GetValue<int>()).ToArray();
        var data = node["data"]!.AsArray();
        return node["dtype"]?.GetValue<string>() == "int32"
            ? tensor(data.Select(v => v!.GetValue<int>()).ToArray(), shape)
            : tensor(data.Select(v => (float)v!.GetValue<double>()).ToArray(), shape);
    }

    /// <summary>The imported model's predictions (inference mode) on the inputs of <paramref name="expected"/>.</summary>
    public static IReadOnlyList<Tensor> Predict(ImportedModel imported, JsonObject expected)
    {
        var model = GraphModule.Create(imported.Graph);
        ModelWeights.Write(model, imported.Weights!);
        return Predict(model, expected["inputs"]!.AsArray().Select(i => ToTensor(i!)).ToArray());
    }

    public static IReadOnlyList<Tensor> Predict(GraphModule model, Tensor[] inputs)
    {
        model.eval();
        using var _ = no_grad();
        return model.Forward(inputs);
    }

    /// <summary>Every element equal to 1e-5, relative to the reference (absolute below 1).</summary>
    public static void AssertClose(IReadOnlyList<Tensor> actual, JsonArray expected, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int o = 0; o < actual.Count; o++)
        {
            var reference = ToTensor(expected[o]!).to_type(ScalarType.Float64);
            Assert.Equal(reference.shape, actual[o].shape);
            var error = ((actual[o].to_type(ScalarType.Float64) - reference).abs() / reference.abs().clamp_min(1.0)).max().item<double>();
            Assert.True(error <= Tolerance, $"output {o} of {what} differs from TensorFlow.js by {error:E2} (relative), more than {Tolerance:E0}");
        }
    }
}
