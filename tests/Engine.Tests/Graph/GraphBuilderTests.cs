using TrainService.Engine.Graph;
using TrainService.Engine.Summary;

namespace TrainService.Engine.Tests.Graph;

public class GraphBuilderTests
{
    const string Mlp = """
    { "name": "mlp",
      "inputs": [ {"name": "input", "shape": [64]} ],
      "nodes": [
        {"name": "dense_1", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["input"]},
        {"name": "dense_2", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["dense_1"]},
        {"name": "dense_3", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["dense_2"]} ],
      "outputs": ["dense_3"] }
    """;

    [Fact]
    public void MlpParamCountsMatchKeras()
    {
        var graph = GraphBuilder.Build(Mlp);
        Assert.Equal([2080L, 1056L, 330L], graph.Layers.Select(l => l.Params));
        Assert.Equal(3466, graph.TotalParams);
        Assert.Equal(0, graph.NonTrainableParams);
        Assert.Equal("(None, 10)", graph.Outputs[0].Info.Shape.ToString());
    }

    [Fact]
    public void MlpSummaryIsSequentialKerasTable()
    {
        var summary = ModelSummary.Of(GraphBuilder.Build(Mlp));
        Assert.Equal(["input", "dense_1", "dense_2", "dense_3"], summary.Layers.Select(l => l.Name));
        Assert.Equal("[(None, 64)]", summary.Layers[0].OutputShape);
        Assert.Contains("dense_1 (Dense)              (None, 32)                2080", summary.Text);
        Assert.Contains("Total params: 3,466\n", summary.Text);
    }

    [Fact]
    public void UnknownTypeAndKeyAreReportedWithPointers()
    {
        var json = """
        { "inputs": [{"name": "x", "shape": [4]}],
          "nodes": [
            {"name": "a", "type": "Dence", "config": {"units": 3}, "inputs": ["x"]},
            {"name": "b", "type": "Dense", "config": {"units": 3, "colour": "red"}, "inputs": ["x"]} ],
          "outputs": ["b"] }
        """;
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(json));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/0/type" && e.Message.Contains("Did you mean 'Dense'"));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/1/config/colour");
    }

    [Fact]
    public void CyclesAndMissingReferencesAreErrors()
    {
        var json = """
        { "inputs": [{"name": "x", "shape": [4]}],
          "nodes": [
            {"name": "a", "type": "Dense", "config": {"units": 4}, "inputs": ["b"]},
            {"name": "b", "type": "Dense", "config": {"units": 4}, "inputs": ["a"]},
            {"name": "c", "type": "Dense", "config": {"units": 4}, "inputs": ["nowhere"]} ],
          "outputs": ["b"] }
        """;
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(json));
        Assert.Contains(error.Errors, e => e.Message.Contains("cycle") && e.Message.Contains("a -> b") || e.Message.Contains("b -> a"));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/2/inputs/0" && e.Message.Contains("nowhere"));
    }

    [Fact]
    public void ConcatenateShapeMismatchNamesNodeAndShapes()
    {
        var json = """
        { "inputs": [{"name": "x", "shape": [4, 3]}, {"name": "y", "shape": [5, 2]}],
          "nodes": [ {"name": "merged", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["x", "y"]} ],
          "outputs": ["merged"] }
        """;
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(json));
        var e = Assert.Single(error.Errors);
        Assert.Equal("/nodes/0/inputs", e.Pointer);
        Assert.Contains("merged", e.Message);
        Assert.Contains("(None, 4, 3)", e.Message);
        Assert.Contains("(None, 5, 2)", e.Message);
    }

    [Fact]
    public void DeadNodesAndUnusedInputsAreWarnings()
    {
        var json = """
        { "inputs": [{"name": "x", "shape": [4]}, {"name": "unused", "shape": [4]}],
          "nodes": [
            {"name": "dead", "type": "Dense", "config": {"units": 2}, "inputs": ["x"]},
            {"name": "out", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]} ],
          "outputs": ["out"] }
        """;
        var graph = GraphBuilder.Build(json);
        Assert.Equal(2, graph.Warnings.Count);
        Assert.Contains(graph.Warnings, w => w.Node == "dead");
        Assert.Contains(graph.Warnings, w => w.Pointer == "/inputs/1");
        Assert.Equal(5, graph.TotalParams);
    }

    [Fact]
    public void SharedLayerCountsOnceAndChecksShapes()
    {
        var json = """
        { "inputs": [{"name": "a", "shape": [4]}, {"name": "b", "shape": [4]}],
          "nodes": [
            {"name": "shared", "type": "Dense", "config": {"units": 3}, "inputs": ["a"]},
            {"name": "shared_again", "share": "shared", "inputs": ["b"]},
            {"name": "sum", "type": "Add", "inputs": ["shared", "shared_again"]} ],
          "outputs": ["sum"] }
        """;
        var graph = GraphBuilder.Build(json);
        Assert.Equal(15, graph.TotalParams);
        var summary = ModelSummary.Of(graph);
        var row = summary.Layers.Single(l => l.Name == "shared");
        Assert.Equal(["a[0][0]", "b[0][0]"], row.ConnectedTo);
        Assert.Equal(["shared[0][0]", "shared[1][0]"], summary.Layers.Single(l => l.Name == "sum").ConnectedTo);

        var bad = json.Replace("""{"name": "b", "shape": [4]}""", """{"name": "b", "shape": [5]}""");
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(bad));
        Assert.Contains(error.Errors, e => e.Node == "shared_again" && e.Message.Contains("(5, 3)"));
    }
}
