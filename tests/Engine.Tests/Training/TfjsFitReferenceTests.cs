using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>
/// Fits recorded with TensorFlow.js (tools/keras-reference/training.js): the same model, initial
/// weights, data and settings must give the same epoch logs and final weights. This checks the
/// loop end to end: weighted total loss, per-output losses, metric resolution, batch-size-weighted
/// epoch means with a short last batch, validation split from the end, class weights, and the
/// optimizers' update rules.
/// </summary>
[Collection(TrainingCollection.Name)]
public class TfjsFitReferenceTests
{
    public static TheoryData<string> Fixtures() =>
        new(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "training"), "*.json").Select(Path.GetFileNameWithoutExtension).OfType<string>().Order());

    static Tensor Decode(JsonNode node) =>
        tensor(node["data"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray(), node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray());

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FitMatchesTensorFlowJs(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "training", name + ".json")))!;
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(fixture["graph"], diagnostics) ?? throw new GraphValidationException(diagnostics.Errors.ToList());
        using var model = KerasModel.Create(graph, "cpu", seed: 0);
        model.Compile(CompileOptions.Parse(fixture["compile"]!.ToJsonString()));
        var initial = fixture["initial_weights"]!.AsObject().ToDictionary(kv => kv.Key, kv => Decode(kv.Value!));
        model.SetWeights(initial);
        var x = fixture["x"]!.AsArray().Select(a => Decode(a!)).ToArray();
        var y = fixture["y"]!.AsArray().Select(a => Decode(a!)).ToArray();

        var history = model.Fit(new FitData(NamedArrays.List(x), NamedArrays.List(y)), FitOptions.Parse(fixture["fit"]!.ToJsonString()));

        foreach (var (tfjsName, values) in fixture["history"]!.AsObject())
        {
            // TensorFlow.js names "accuracy" acc, as Keras 2.2 did; Keras 3 keeps the name written.
            var ours = history.Values.ContainsKey(tfjsName) ? tfjsName : tfjsName.Replace("acc", "accuracy", StringComparison.Ordinal);
            var expected = values!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var actual = history.Values[ours];
            Assert.Equal(expected.Length, actual.Count);
            for (int epoch = 0; epoch < expected.Length; epoch++)
                Assert.True(Math.Abs(expected[epoch] - actual[epoch]) <= 1e-4 * Math.Max(1, Math.Abs(expected[epoch])),
                    $"{ours} at epoch {epoch}: TensorFlow.js {expected[epoch]:R}, engine {actual[epoch]:R}");
        }
        Assert.Equal(fixture["history"]!.AsObject().Count, history.Values.Count);
        var weights = model.GetWeights();
        foreach (var (key, value) in fixture["final_weights"]!.AsObject())
        {
            using var expected = Decode(value!);
            using var difference = (weights[key] - expected).abs().max();
            Assert.True(difference.item<float>() < 1e-4, $"{key} differs from TensorFlow.js by {difference.item<float>()}");
        }
        foreach (var t in initial.Values.Concat(x).Concat(y).Concat(weights.Values)) t.Dispose();
    }
}
