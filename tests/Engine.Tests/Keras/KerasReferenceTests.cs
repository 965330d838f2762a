using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Keras;

/// <summary>
/// Forward passes against TensorFlow.js, an independent implementation of the Keras layers API.
/// Fixtures come from tools/keras-reference (node generate.js): the same model written in our
/// graph format, its weights in Keras order and layout, inputs, and the outputs tfjs computed.
/// </summary>
public class KerasReferenceTests
{
    const double Tolerance = 1e-5;

    static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras");

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(FixtureDirectory, "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void ForwardMatchesTensorFlowJs(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, name + ".json")))!.AsObject();
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(fixture["graph"], diagnostics);
        Assert.True(graph is not null, string.Join("\n", diagnostics.Errors));

        using var scope = NewDisposeScope();
        using var model = GraphModule.Create(graph!);
        var layers = model.LeafLayers().ToDictionary(l => l.Name, l => l.Module);
        foreach (var (layerName, weightsNode) in fixture["weights"]!.AsObject())
        {
            Assert.True(layers.TryGetValue(layerName, out var module), $"the model has no layer '{layerName}' with weights");
            var expected = weightsNode!.AsArray();
            Assert.Equal(expected.Count, module!.Weights.Count);
            for (int i = 0; i < expected.Count; i++)
                module.Weights[i].Write(ToTensor(expected[i]!));
        }
        Assert.Equal(layers.Values.Sum(m => m.Weights.Count), fixture["weights"]!.AsObject().Sum(p => p.Value!.AsArray().Count));

        model.eval();
        using var _ = no_grad();
        var inputs = fixture["inputs"]!.AsArray().Select(i => ToTensor(i!)).ToArray();
        var outputs = model.Forward(inputs);
        var expectedOutputs = fixture["outputs"]!.AsArray();
        Assert.Equal(expectedOutputs.Count, outputs.Count);
        for (int o = 0; o < outputs.Count; o++)
        {
            var expected = ToTensor(expectedOutputs[o]!);
            Assert.Equal(expected.shape, outputs[o].shape);
            var actual = outputs[o].to_type(ScalarType.Float64);
            var reference = expected.to_type(ScalarType.Float64);
            var error = ((actual - reference).abs() / reference.abs().clamp_min(1.0)).max().item<double>();
            Assert.True(error <= Tolerance, $"output {o} of '{name}' differs from TensorFlow.js by {error:E2} (relative), more than {Tolerance:E0}");
        }
    }

    static Tensor ToTensor(JsonNode node)
    {
        var shape = node["shape"]!.AsArray().Select(d => (long)d!.GetValue<int>()).ToArray();
        var data = node["data"]!.AsArray();
        return node["dtype"]?.GetValue<string>() == "int32"
            ? tensor(data.Select(v => v!.GetValue<int>()).ToArray(), shape)
            : tensor(data.Select(v => (float)v!.GetValue<double>()).ToArray(), shape);
    }
}
