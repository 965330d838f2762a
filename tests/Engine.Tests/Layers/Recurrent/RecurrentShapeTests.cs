using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

public class RecurrentShapeTests
{
    [Theory]
    [InlineData("LSTM", "{\"units\": 32}", 64, 12_416)]
    [InlineData("LSTM", "{\"units\": 16}", 32, 3_136)]
    [InlineData("LSTM", "{\"units\": 8, \"use_bias\": false}", 5, 4 * 8 * (5 + 8))]
    [InlineData("GRU", "{\"units\": 8}", 5, 3 * (8 * (5 + 8) + 2 * 8))]
    [InlineData("GRU", "{\"units\": 8, \"reset_after\": false}", 5, 3 * (8 * (5 + 8) + 8))]
    [InlineData("SimpleRNN", "{\"units\": 8}", 5, 8 * (5 + 8) + 8)]
    public void ParamCountsMatchKeras(string type, string config, int features, long expected)
    {
        var graph = RecurrentGraphs.Single(type, config, 10, features);
        Assert.Equal(expected, graph.TotalParams);
        Assert.Equal(expected, graph.TrainableParams);
    }

    [Fact]
    public void BidirectionalLstm256On128FeaturesHas788480Params()
    {
        var graph = RecurrentGraphs.Single("Bidirectional", """{"layer": {"type": "LSTM", "config": {"units": 256}}}""", null, 128);
        Assert.Equal(788_480, graph.TotalParams);
        Assert.Equal("(None, 512)", graph.Outputs[0].Info.Shape.ToString());
    }

    [Theory]
    [InlineData("LSTM", "{\"units\": 4}", new[] { "(None, 4)" })]
    [InlineData("LSTM", "{\"units\": 4, \"return_sequences\": true, \"go_backwards\": true}", new[] { "(None, 7, 4)" })]
    [InlineData("LSTM", "{\"units\": 4, \"return_state\": true}", new[] { "(None, 4)", "(None, 4)", "(None, 4)" })]
    [InlineData("LSTM", "{\"units\": 4, \"return_sequences\": true, \"return_state\": true}", new[] { "(None, 7, 4)", "(None, 4)", "(None, 4)" })]
    [InlineData("GRU", "{\"units\": 4, \"return_state\": true}", new[] { "(None, 4)", "(None, 4)" })]
    [InlineData("SimpleRNN", "{\"units\": 4, \"return_sequences\": true, \"return_state\": true}", new[] { "(None, 7, 4)", "(None, 4)" })]
    [InlineData("Bidirectional", "{\"layer\": {\"type\": \"GRU\", \"config\": {\"units\": 4, \"return_sequences\": true}}, \"merge_mode\": \"sum\"}", new[] { "(None, 7, 4)" })]
    [InlineData("Bidirectional", "{\"layer\": {\"type\": \"LSTM\", \"config\": {\"units\": 4}}, \"merge_mode\": null}", new[] { "(None, 4)", "(None, 4)" })]
    [InlineData("Bidirectional", "{\"layer\": {\"type\": \"LSTM\", \"config\": {\"units\": 4, \"return_state\": true}}}", new[] { "(None, 8)", "(None, 4)", "(None, 4)", "(None, 4)", "(None, 4)" })]
    [InlineData("TimeDistributed", "{\"layer\": {\"type\": \"Dense\", \"config\": {\"units\": 2}}}", new[] { "(None, 7, 2)" })]
    public void OutputShapesFollowKeras(string type, string config, string[] expected)
    {
        var graph = RecurrentGraphs.Single(type, config, 7, 3, outputs: expected.Length);
        Assert.Equal(expected, graph.Outputs.Select(o => o.Info.Shape.ToString()));

        using var model = GraphModule.Create(graph);
        model.eval();
        using var x = RecurrentGraphs.Random(1, 2, 7, 3);
        using var _ = no_grad();
        var outputs = model.Forward([x]);
        for (int i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i].Replace("None", "2"), "(" + string.Join(", ", outputs[i].shape) + ")");
    }

    [Fact]
    public void ReturnedStatesAreTheLastOutput()
    {
        var graph = RecurrentGraphs.Single("LSTM", """{"units": 3, "return_sequences": true, "return_state": true}""", 5, 2, outputs: 3);
        using var model = GraphModule.Create(graph);
        using var x = RecurrentGraphs.Random(2, 4, 5, 2);
        using var _ = no_grad();
        var outputs = model.Forward([x]);
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[0][.., -1], outputs[1]));
        Assert.NotEqual(0, RecurrentGraphs.MaxDifference(outputs[1], outputs[2]));
    }

    [Fact]
    public void GoBackwardsReadsTheReversedSequence()
    {
        var forward = RecurrentGraphs.Single("GRU", """{"units": 3, "return_sequences": true}""", 6, 2);
        var backward = RecurrentGraphs.Single("GRU", """{"units": 3, "return_sequences": true, "go_backwards": true}""", 6, 2);
        using var f = GraphModule.Create(forward);
        using var b = GraphModule.Create(backward);
        RecurrentGraphs.CopyWeights(f, b);
        using var x = RecurrentGraphs.Random(3, 2, 6, 2);
        using var _ = no_grad();
        using var reversed = x.flip(1);
        Assert.Equal(0, RecurrentGraphs.MaxDifference(f.Forward([reversed])[0], b.Forward([x])[0]));
    }

    [Fact]
    public void TimeDistributedChainsAndFoldsTimeIntoBatch()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [null, 4]}],
          "nodes": [
            {"name": "td1", "type": "TimeDistributed", "config": {"layer": {"type": "Dense", "config": {"units": 5, "activation": "relu"}}}, "inputs": ["x"]},
            {"name": "td2", "type": "TimeDistributed", "config": {"layer": {"type": "Dense", "config": {"units": 2}}}, "inputs": ["td1"]},
            {"name": "act", "type": "TimeDistributed", "config": {"layer": {"type": "Activation", "config": {"activation": "softmax"}}}, "inputs": ["td2"]} ],
          "outputs": ["act"] }
        """);
        Assert.Equal([25L, 12L, 0L], graph.Layers.Select(l => l.Params));
        Assert.Equal("(None, None, 2)", graph.Outputs[0].Info.Shape.ToString());

        using var model = GraphModule.Create(graph);
        Assert.Equal(["kernel", "bias", "kernel", "bias"], model.Weights.Select(w => w.Name));
        using var x = RecurrentGraphs.Random(4, 3, 6, 4);
        using var _ = no_grad();
        var y = model.Forward([x])[0];
        Assert.Equal([3L, 6L, 2L], y.shape);
        // Each step is the Dense stack applied on its own.
        using var k1 = model.Weights[0].Read();
        using var b1 = model.Weights[1].Read();
        using var k2 = model.Weights[2].Read();
        using var b2 = model.Weights[3].Read();
        using var step = x[1, 4];
        using var expected = (nn.functional.relu(step.matmul(k1) + b1).matmul(k2) + b2).softmax(-1);
        Assert.True(RecurrentGraphs.MaxDifference(y[1, 4], expected) < 1e-6);
    }
}
