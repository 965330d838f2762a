using TrainService.Engine.Graph;
using TrainService.Engine.Summary;

namespace TrainService.Engine.Tests.Examples;

/// <summary>Every listing of the seed chapter, as a graph file, gives Keras's figures, errors and warnings.</summary>
public class ExampleGraphTests
{
    [Fact]
    public void EveryExampleHasExpectationsAndEveryExpectationAFile()
    {
        Assert.Equal(ExampleGraphs.Expected.Keys.Order(StringComparer.Ordinal), ExampleGraphs.Files);
    }

    [Theory]
    [MemberData(nameof(ExampleGraphs.FileData), MemberType = typeof(ExampleGraphs))]
    public void ExampleGivesKerasFigures(string file)
    {
        var json = ExampleGraphs.LoadKnown(file);
        var expected = ExampleGraphs.Expected[file];
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(json, diagnostics);

        if (expected.Valid)
        {
            Assert.True(graph is not null, string.Join("\n", diagnostics.Errors));
            Assert.Equal(expected.Total, graph!.TotalParams);
            Assert.Equal(expected.Trainable, graph.TrainableParams);
            Assert.Equal(expected.NonTrainable, graph.NonTrainableParams);
            Assert.Equal(expected.Outputs!, graph.Outputs.Select(o => $"{o.Name} {o.Info.Shape}"));
        }
        else
        {
            Assert.Null(graph);
            Assert.Equal(expected.Errors!.Length, diagnostics.ErrorCount);
            foreach (var error in expected.Errors!)
                Assert.True(diagnostics.Errors.Any(error.Matches), $"expected error {error}; got:\n{string.Join("\n", diagnostics.Errors)}");
        }

        var warnings = diagnostics.Warnings.ToList();
        var expectedWarnings = expected.Warnings ?? [];
        Assert.True(expectedWarnings.Length == warnings.Count, $"expected {expectedWarnings.Length} warnings; got:\n{string.Join("\n", warnings)}");
        foreach (var warning in expectedWarnings)
            Assert.True(warnings.Any(warning.Matches), $"expected warning {warning}; got:\n{string.Join("\n", warnings)}");
        if (graph is not null) Assert.Equal(warnings, graph.Warnings);
    }

    [Fact]
    public void MlpSummaryRowsAreTheChaptersPrintedOnes()
    {
        var summary = ModelSummary.Of(GraphBuilder.Build(ExampleGraphs.Load("mlp.json").ToJsonString()));
        // As printed in 7.1.1 (In [3]), trailing spaces aside.
        string[] printed =
        [
            "Model: \"model_1\"",
            "Layer (type)                 Output Shape              Param #",
            "input_3 (InputLayer)         [(None, 64)]              0",
            "dense_4 (Dense)              (None, 32)                2080",
            "dense_5 (Dense)              (None, 32)                1056",
            "dense_6 (Dense)              (None, 10)                330",
            "Total params: 3,466",
            "Trainable params: 3,466",
            "Non-trainable params: 0",
        ];
        var lines = summary.Text.Split('\n');
        foreach (var line in printed) Assert.Contains(line, lines);
    }

    [Fact]
    public void ModelAsLayerIsOneFunctionalRowOfTheMlp()
    {
        var graph = GraphBuilder.Build(ExampleGraphs.Load("model-as-layer.json").ToJsonString());
        var row = ModelSummary.Of(graph).Layers.Single(r => r.Name == "model_1");
        Assert.Equal("Functional", row.Type);
        Assert.Equal(3_466, row.Params);
        Assert.Equal([2_080L, 1_056L, 330L], ((Engine.Layers.Models.NestedModelLayer)graph.Layers[0].Layer).Inner!.Layers.Select(l => l.Params));
    }
}
