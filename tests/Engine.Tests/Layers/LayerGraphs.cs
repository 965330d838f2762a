using System.Globalization;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers;

/// <summary>Graphs of one layer on one input, the errors they give, and helpers to run them.</summary>
static class LayerGraphs
{
    /// <summary>The graph x → one node "layer" of the given type and config.</summary>
    public static string Json(string type, string config, int?[] sampleShape, string dtype = "float32") => $$"""
        { "inputs": [{"name": "x", "shape": [{{Dims(sampleShape)}}], "dtype": "{{dtype}}"}],
          "nodes": [{"name": "layer", "type": "{{type}}", "config": {{config}}, "inputs": ["x"]}],
          "outputs": ["layer"] }
        """;

    public static ModelGraph Single(string type, string config, params int?[] sampleShape) => GraphBuilder.Build(Json(type, config, sampleShape));

    /// <summary>The errors of building the one-layer graph (none when it is valid).</summary>
    public static List<GraphDiagnostic> Errors(string type, string config, params int?[] sampleShape)
    {
        var diagnostics = new DiagnosticBag();
        GraphBuilder.TryBuild(System.Text.Json.Nodes.JsonNode.Parse(Json(type, config, sampleShape)), diagnostics);
        return diagnostics.Errors.ToList();
    }

    /// <summary>The one error of an invalid graph, checked for the pointer it names.</summary>
    public static string Error(string type, string config, int?[] sampleShape, string pointer)
    {
        var errors = Errors(type, config, sampleShape);
        Assert.True(errors.Count == 1, $"expected one error, got: {string.Join(" | ", errors)}");
        Assert.Equal(pointer, errors[0].Pointer);
        return errors[0].Message;
    }

    static string Dims(int?[] dims) => string.Join(", ", dims.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "null"));

    public static Tensor Random(long seed, params long[] shape)
    {
        using var generator = new Generator((ulong)seed);
        return rand(shape, generator: generator) * 2 - 1;
    }

    /// <summary>Runs a model built from <paramref name="graph"/> in inference mode.</summary>
    public static Tensor Predict(ModelGraph graph, Tensor input, ulong seed = 0)
    {
        using var model = GraphModule.Create(graph, seed: seed);
        model.eval();
        using var _ = no_grad();
        return model.Forward([input])[0];
    }

    public static string ShapeText(Tensor t) => "(" + string.Join(", ", t.shape) + ")";

    public static double MaxDifference(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return (a - b).abs().max().item<float>();
    }
}
