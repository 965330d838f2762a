using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Models;
using TrainService.Engine.Modules;
using TrainService.Engine.Summary;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Models;

public class NestedModelTests
{
    // 4 -> Dense(3) -> Dense(2): 15 + 8 = 23 params.
    const string Encoder = """
    { "inputs": [{"name": "x", "shape": [4]}],
      "nodes": [
        {"name": "hidden", "type": "Dense", "config": {"units": 3, "activation": "relu"}, "inputs": ["x"]},
        {"name": "code", "type": "Dense", "config": {"units": 2}, "inputs": ["hidden"]} ],
      "outputs": ["code"] }
    """;

    // Two inputs (4 and 3), two outputs: (None, 5) and (None, 2). 25 + 20 + 12 = 57 params.
    const string TwoWay = """
    { "inputs": [{"name": "a", "shape": [4]}, {"name": "b", "shape": [3]}],
      "nodes": [
        {"name": "da", "type": "Dense", "config": {"units": 5}, "inputs": ["a"]},
        {"name": "db", "type": "Dense", "config": {"units": 5}, "inputs": ["b"]},
        {"name": "sum", "type": "Add", "inputs": ["da", "db"]},
        {"name": "small", "type": "Dense", "config": {"units": 2}, "inputs": ["sum"]} ],
      "outputs": ["sum", "small"] }
    """;

    static string Outer(string inputs, string nodes, string outputs) =>
        $$"""{ "name": "outer", "inputs": [{{inputs}}], "nodes": [{{nodes}}], "outputs": [{{outputs}}] }""";

    static string ModelNode(string name, string graph, string inputs, string extraConfig = "") =>
        $$"""{"name": "{{name}}", "type": "Model", "config": {{{extraConfig}}"graph": {{graph}}}, "inputs": [{{inputs}}]}""";

    [Fact]
    public void NestedModelCountsInnerParamsAndIsOneFunctionalRow()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""",
            ModelNode("encoder", Encoder, "\"in\"") + """, {"name": "head", "type": "Dense", "config": {"units": 1}, "inputs": ["encoder"]}""",
            "\"head\""));

        Assert.Equal(23 + 3, graph.TotalParams);
        Assert.Equal(23, graph.FindLayer("encoder")!.Params);
        Assert.Equal("(None, 2)", graph.Nodes[0].Outputs[0].Shape.ToString());
        var summary = ModelSummary.Of(graph);
        Assert.Equal(["in", "encoder", "head"], summary.Layers.Select(r => r.Name));
        Assert.Equal("Functional", summary.Layers[1].Type);
        Assert.Contains("encoder (Functional)         (None, 2)                 23", summary.Text);
    }

    [Fact]
    public void MultiInputMultiOutputModelIsReferencedByOutputIndex()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "x1", "shape": [4]}, {"name": "x2", "shape": [3]}""",
            ModelNode("both", TwoWay, "\"x1\", \"x2\"") +
            """, {"name": "y", "type": "Concatenate", "inputs": ["both", "both:1"]}""",
            "\"y\", \"both:1\""));

        Assert.Equal(57, graph.TotalParams);
        Assert.Equal(["(None, 5)", "(None, 2)"], graph.Nodes[0].Outputs.Select(o => o.Shape.ToString()));
        Assert.Equal("(None, 7)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(["both_1"], graph.Outputs.Skip(1).Select(o => o.Name));
        var row = ModelSummary.Of(graph).Layers.Single(r => r.Name == "both");
        Assert.Equal("[(None, 5), (None, 2)]", row.OutputShape);
        // Keras 2 numbers a nested model's calls from 1: node 0 is its own construction.
        Assert.Equal(["both[1][0]", "both[1][1]"], ModelSummary.Of(graph).Layers.Single(r => r.Name == "y").ConnectedTo);
    }

    [Fact]
    public void ArityIsTheInnerInputCount()
    {
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Outer("""{"name": "x1", "shape": [4]}""",
            ModelNode("both", TwoWay, "\"x1\""), "\"both\"")));
        var e = Assert.Single(error.Errors);
        Assert.Equal("/nodes/0/inputs", e.Pointer);
        Assert.Contains("takes 2 inputs, not 1", e.Message);
    }

    [Fact]
    public void InnerErrorsPointIntoTheInnerGraph()
    {
        var broken = Encoder.Replace("\"units\": 2", "\"units\": 0").Replace("\"inputs\": [\"hidden\"]", "\"inputs\": [\"nowhere\"]");
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""",
            """{"name": "first", "type": "Dense", "config": {"units": 4}, "inputs": ["in"]}, """ + ModelNode("encoder", broken, "\"first\""),
            "\"encoder\"")));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/1/config/graph/nodes/1/config/units" && e.Node == "code");
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/1/config/graph/nodes/1/inputs/0" && e.Message.Contains("nowhere"));
    }

    [Fact]
    public void MissingGraphAndDifferentInnerNameAreErrors()
    {
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""",
            """{"name": "m", "type": "Functional", "config": {}, "inputs": ["in"]}, """ +
            ModelNode("encoder", Encoder.Replace("{ \"inputs\"", "{ \"name\": \"enc\", \"inputs\""), "\"in\""),
            "\"m\", \"encoder\"")));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/0/config/graph" && e.Message.Contains("required"));
        Assert.Contains(error.Errors, e => e.Pointer == "/nodes/1/config/graph/name" && e.Message.Contains("'enc'"));
    }

    [Fact]
    public void CallShapesAreReinferredAndMustFitTheInnerInputs()
    {
        // The inner model takes sequences of any length; each call gives its own length.
        var perStep = Encoder.Replace("\"shape\": [4]", "\"shape\": [null, 4]");
        var graph = GraphBuilder.Build(Outer("""{"name": "seven", "shape": [7, 4]}, {"name": "free", "shape": [null, 4]}""",
            ModelNode("encoder", perStep, "\"seven\"") + """, {"name": "again", "share": "encoder", "inputs": ["free"]}""",
            "\"encoder\", \"again\""));
        Assert.Equal("(None, 7, 2)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal("(None, None, 2)", graph.Outputs[1].Info.Shape.ToString());
        Assert.Equal(23, graph.TotalParams);

        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}, {"name": "wide", "shape": [5]}""",
            ModelNode("encoder", Encoder, "\"in\"") + """, {"name": "again", "share": "encoder", "inputs": ["wide"]}""",
            "\"encoder\", \"again\"")));
        var e = Assert.Single(error.Errors);
        Assert.Equal("/nodes/1/inputs", e.Pointer);
        Assert.Equal("again", e.Node);
        Assert.Contains("(None, 4)", e.Message);
        Assert.Contains("(None, 5)", e.Message);
    }

    [Fact]
    public void CallThatFailsInsideTheModelNamesTheInnerNode()
    {
        // Declared with free lengths the inner Concatenate is fine; a call with lengths 7 and 9 is not.
        const string joiner = """
        { "inputs": [{"name": "p", "shape": [null, 4]}, {"name": "q", "shape": [null, 4]}],
          "nodes": [{"name": "joined", "type": "Concatenate", "inputs": ["p", "q"]}],
          "outputs": ["joined"] }
        """;
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Outer("""{"name": "a", "shape": [7, 4]}, {"name": "b", "shape": [9, 4]}""",
            ModelNode("joiner", joiner, "\"a\", \"b\""), "\"joiner\"")));
        var e = Assert.Single(error.Errors);
        Assert.Equal("/nodes/0/inputs", e.Pointer);
        Assert.Equal("joiner", e.Node);
        Assert.Contains("(None, 7, 4), (None, 9, 4) fails inside it", e.Message);
        Assert.Contains("/nodes/0/config/graph/nodes/0/inputs: Node 'joined'", e.Message);
    }

    [Fact]
    public void SharedNestedModelHasOneSetOfWeights()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "left", "shape": [4]}, {"name": "right", "shape": [4]}""",
            ModelNode("encoder", Encoder, "\"left\"") +
            """, {"name": "encoder_right", "share": "encoder", "inputs": ["right"]}, {"name": "joined", "type": "Concatenate", "inputs": ["encoder", "encoder_right"]}""",
            "\"joined\""));
        Assert.Equal(23, graph.TotalParams);
        Assert.Equal(["encoder[1][0]", "encoder[2][0]"], ModelSummary.Of(graph).Layers.Single(r => r.Name == "joined").ConnectedTo);

        using var scope = NewDisposeScope();
        using var model = GraphModule.Create(graph, seed: 3);
        Assert.Equal(4, model.Weights.Count);
        Assert.Equal(23, model.parameters().Sum(p => p.numel()));
        var x = rand(5, 4);
        var y = model.Forward([x, x.clone()])[0];
        Assert.True(y[.., ..2].eq(y[.., 2..]).all().item<bool>());
        // Changing the one kernel changes both calls.
        model.Weights[0].Write(zeros(4, 3));
        var z = model.Forward([x, rand(5, 4)])[0];
        Assert.True(z[.., ..2].eq(z[.., 2..]).all().item<bool>());
    }

    [Fact]
    public void LeafLayersAreNamedByPathAndStayUnique()
    {
        // Keras allows an inner name to repeat an outer one: names are unique per model.
        var inner = Encoder.Replace("\"code\"", "\"head\"");
        var graph = GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""",
            ModelNode("encoder", inner, "\"in\"") + """, {"name": "head", "type": "Dense", "config": {"units": 1}, "inputs": ["encoder"]}""",
            "\"head\""));
        using var model = GraphModule.Create(graph);
        var names = model.LeafLayers().Select(l => l.Name).ToList();
        Assert.Equal(["encoder/hidden", "encoder/head", "head"], names);
        Assert.Equal(6, model.Weights.Count);
    }

    [Fact]
    public void FrozenNestedModelHasOnlyNonTrainableWeights()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""",
            ModelNode("encoder", Encoder, "\"in\"", "\"trainable\": false, ") + """, {"name": "head", "type": "Dense", "config": {"units": 1}, "inputs": ["encoder"]}""",
            "\"head\""));
        Assert.Equal(23, graph.NonTrainableParams);
        Assert.Equal(3, graph.TrainableParams);
        // As in Keras, every inner layer is frozen (BatchNormalization then runs in inference mode).
        var inner = ((NestedModelLayer)graph.FindLayer("encoder")!.Layer).Inner!;
        Assert.All(inner.Layers, l => Assert.False(l.Layer.Trainable));
        using var model = GraphModule.Create(graph);
        Assert.Equal([false, false, false, false, true, true], model.Weights.Select(w => w.Trainable));
        Assert.Equal(3, model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()));
    }

    [Fact]
    public void IntegerDataEntersAFloatModelConverted()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "ids", "shape": [4], "dtype": "int32"}""",
            ModelNode("encoder", Encoder, "\"ids\""), "\"encoder\""));
        using var scope = NewDisposeScope();
        using var model = GraphModule.Create(graph);
        var asInts = model.Forward([tensor(new[] { 1, 2, 3, 4 }, [1, 4])])[0];
        var asFloats = model.Forward([tensor(new float[] { 1, 2, 3, 4 }, [1, 4])])[0];
        Assert.True(asInts.eq(asFloats).all().item<bool>());
    }

    [Fact]
    public void FloatDataForAnIntegerInnerInputIsConvertedWithAWarning()
    {
        var graph = GraphBuilder.Build(Outer("""{"name": "values", "shape": [4]}""",
            ModelNode("encoder", Encoder.Replace("\"shape\": [4]", "\"shape\": [4], \"dtype\": \"int32\""), "\"values\""), "\"encoder\""));
        var warning = Assert.Single(graph.Warnings);
        Assert.Equal("/nodes/0/inputs", warning.Pointer);
        Assert.Contains("converts input 0 (float32) to int32", warning.Message);

        using var scope = NewDisposeScope();
        using var model = GraphModule.Create(graph);
        var cut = model.Forward([tensor(new[] { 1.7f, 2.2f, 3.9f, 4.5f }, [1, 4])])[0];
        var whole = model.Forward([tensor(new float[] { 1, 2, 3, 4 }, [1, 4])])[0];
        Assert.True(cut.eq(whole).all().item<bool>());
    }

    [Fact]
    public void InnerWarningsBecomeTheModelsWarnings()
    {
        var withDeadNode = Encoder.Replace("\"nodes\": [", """ "nodes": [ {"name": "unused", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]}, """);
        var graph = GraphBuilder.Build(Outer("""{"name": "in", "shape": [4]}""", ModelNode("encoder", withDeadNode, "\"in\""), "\"encoder\""));
        var warning = Assert.Single(graph.Warnings);
        Assert.Equal("/nodes/0/config/graph/nodes/0", warning.Pointer);
        Assert.Equal("unused", warning.Node);
        Assert.Equal(23, graph.TotalParams);
    }

    [Theory]
    [InlineData(8, true)]
    [InlineData(9, false)]
    public void NestingDepthIsBounded(int depth, bool valid)
    {
        var json = Nest(depth);
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(JsonNode.Parse(json), diagnostics);
        Assert.Equal(valid, graph is not null);
        if (valid)
        {
            Assert.Equal(5, graph!.TotalParams);
            using var model = GraphModule.Create(graph);
            Assert.Equal(["m/m/m/m/m/m/m/m/d"], model.LeafLayers().Select(l => l.Name));
        }
        else
        {
            var e = Assert.Single(diagnostics.Errors);
            Assert.Equal(string.Concat(Enumerable.Repeat("/nodes/0/config/graph", depth)), e.Pointer);
            Assert.Contains("nested more than 8 deep", e.Message);
        }
    }

    [Fact]
    public void NestingLimitComesFromTheCallersLimits()
    {
        var limits = new GraphLimits { MaxNesting = 2 };
        Assert.NotNull(GraphBuilder.Build(Nest(2), limits));
        var error = Assert.Throws<GraphValidationException>(() => GraphBuilder.Build(Nest(3), limits));
        Assert.Contains("nested more than 2 deep", Assert.Single(error.Errors).Message);
    }

    /// <summary>A Dense(1) on 4 inputs wrapped in <paramref name="depth"/> models.</summary>
    static string Nest(int depth)
    {
        var graph = """{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "d", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]}], "outputs": ["d"]}""";
        for (int i = 0; i < depth; i++)
            graph = $$"""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{{ModelNode("m", graph, "\"x\"")}}], "outputs": ["m"]}""";
        return graph;
    }
}
