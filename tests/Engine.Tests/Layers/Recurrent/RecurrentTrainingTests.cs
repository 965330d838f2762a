using TorchSharp;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

public class RecurrentTrainingTests
{
    static Tensor Parameter(GraphModule model, string suffix) =>
        model.named_parameters().Single(p => p.name.EndsWith(suffix, StringComparison.Ordinal)).parameter;

    [Fact]
    public void LstmRecurrentBiasStaysZeroAndUntrainedAfterOptimizerSteps()
    {
        var graph = RecurrentGraphs.Single("LSTM", """{"units": 4}""", 6, 3);
        using var model = GraphModule.Create(graph, seed: 1);
        var recurrentBias = Parameter(model, "bias_hh_l0");
        var inputBias = Parameter(model, "bias_ih_l0");
        Assert.False(recurrentBias.requires_grad);
        using var before = inputBias.detach().clone();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.1, weight_decay: 0.01);
        using var x = RecurrentGraphs.Random(2, 8, 6, 3);
        model.train();
        for (int step = 0; step < 3; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = model.Forward([x])[0].square().mean();
            loss.backward();
            optimizer.step();
        }
        Assert.True(recurrentBias.grad is null);
        Assert.Equal(0, recurrentBias.abs().max().item<float>());
        Assert.True(RecurrentGraphs.MaxDifference(before, inputBias) > 1e-3);
        // The Keras bias is torch's bias_ih alone.
        using var kerasBias = model.Weights[2].Read();
        Assert.Equal(0, RecurrentGraphs.MaxDifference(kerasBias, inputBias.detach()));
    }

    [Fact]
    public void InitializersFollowKeras()
    {
        var graph = RecurrentGraphs.Single("LSTM", """{"units": 8}""", 5, 6);
        using var model = GraphModule.Create(graph, seed: 4);
        using var kernel = model.Weights[0].Read();
        using var recurrent = model.Weights[1].Read();
        using var bias = model.Weights[2].Read();
        // glorot_uniform over the whole (in, 4u) kernel.
        var limit = Math.Sqrt(6.0 / (6 + 32));
        Assert.InRange(kernel.abs().max().item<float>(), limit * 0.8, limit);
        // orthogonal over the whole (u, 4u) recurrent kernel: its rows are orthonormal.
        using var gram = recurrent.matmul(recurrent.t());
        Assert.True(RecurrentGraphs.MaxDifference(gram, eye(8)) < 1e-5);
        // unit_forget_bias: zeros, ones (f), zeros, zeros.
        float[] expected = [.. Enumerable.Repeat(0f, 8), .. Enumerable.Repeat(1f, 8), .. Enumerable.Repeat(0f, 16)];
        Assert.Equal(expected, bias.data<float>().ToArray());
    }

    [Theory]
    [InlineData("GRU", """{"units": 3}""", new long[] { 2, 9 })]
    [InlineData("GRU", """{"units": 3, "reset_after": false}""", new long[] { 9 })]
    [InlineData("LSTM", """{"units": 3, "activation": "relu"}""", new long[] { 12 })]
    [InlineData("SimpleRNN", """{"units": 3, "activation": "sigmoid"}""", new long[] { 3 })]
    public void WeightsRoundTripInKerasLayout(string type, string config, long[] biasShape)
    {
        var graph = RecurrentGraphs.Single(type, config, 4, 2);
        using var model = GraphModule.Create(graph);
        Assert.Equal(["kernel", "recurrent_kernel", "bias"], model.Weights.Select(w => w.Name));
        Assert.Equal(biasShape, model.Weights[2].Shape);
        for (int i = 0; i < 3; i++)
        {
            using var value = RecurrentGraphs.Random(10 + i, model.Weights[i].Shape);
            model.Weights[i].Write(value);
            using var back = model.Weights[i].Read();
            Assert.Equal(0, RecurrentGraphs.MaxDifference(value, back));
        }
    }

    [Fact]
    public void GruGateBlocksMoveToTorchOrder()
    {
        // Keras's kernel blocks are z, r, h; torch's weight_ih rows are r, z, n.
        var graph = RecurrentGraphs.Single("GRU", """{"units": 1}""", 4, 1);
        using var model = GraphModule.Create(graph);
        model.Weights[0].Write(tensor(new float[] { 10, 20, 30 }, [1, 3]));
        model.Weights[2].Write(tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]));
        Assert.Equal(new float[] { 20, 10, 30 }, Parameter(model, "weight_ih_l0").data<float>().ToArray());
        Assert.Equal(new float[] { 2, 1, 3 }, Parameter(model, "bias_ih_l0").data<float>().ToArray());
        Assert.Equal(new float[] { 5, 4, 6 }, Parameter(model, "bias_hh_l0").data<float>().ToArray());
    }

    [Theory]
    [InlineData("LSTM", "\"units\": 4, \"return_sequences\": true", "\"dropout\": 0.5")]
    [InlineData("LSTM", "\"units\": 4, \"return_sequences\": true", "\"recurrent_dropout\": 0.5")]
    [InlineData("GRU", "\"units\": 4, \"reset_after\": false", "\"dropout\": 0.3, \"recurrent_dropout\": 0.3")]
    [InlineData("SimpleRNN", "\"units\": 4", "\"dropout\": 0.5, \"recurrent_dropout\": 0.5")]
    public void DropoutActsOnlyInTraining(string type, string config, string dropout)
    {
        var plain = RecurrentGraphs.Single(type, "{" + config + "}", 6, 5);
        var dropped = RecurrentGraphs.Single(type, "{" + config + ", " + dropout + "}", 6, 5);
        using var reference = GraphModule.Create(plain, seed: 2);
        using var model = GraphModule.Create(dropped, seed: 2);
        RecurrentGraphs.CopyWeights(reference, model);
        using var x = RecurrentGraphs.Random(6, 8, 6, 5);
        using var _ = no_grad();
        reference.eval();
        var expected = reference.Forward([x])[0];

        model.eval();
        Assert.True(RecurrentGraphs.MaxDifference(expected, model.Forward([x])[0]) < 1e-6);
        model.train();
        var first = model.Forward([x])[0];
        var second = model.Forward([x])[0];
        Assert.True(RecurrentGraphs.MaxDifference(expected, first) > 1e-3);
        Assert.True(RecurrentGraphs.MaxDifference(first, second) > 1e-3, "each call draws new masks");
    }

    [Fact]
    public void SeededDropoutRepeatsItsMasksAcrossModels()
    {
        var graph = RecurrentGraphs.Single("GRU", """{"units": 4, "recurrent_dropout": 0.4, "seed": 7}""", 5, 3);
        using var a = GraphModule.Create(graph, seed: 1);
        using var b = GraphModule.Create(graph, seed: 1);
        a.train();
        b.train();
        using var x = RecurrentGraphs.Random(3, 4, 5, 3);
        using var _ = no_grad();
        Assert.Equal(0, RecurrentGraphs.MaxDifference(a.Forward([x])[0], b.Forward([x])[0]));
    }

    [Fact]
    public void StepLoopTrainsThroughRecurrentDropout()
    {
        var graph = RecurrentGraphs.Single("LSTM", """{"units": 4, "recurrent_dropout": 0.2, "recurrent_activation": "hard_sigmoid"}""", 5, 3);
        using var model = GraphModule.Create(graph, seed: 5);
        using var optimizer = optim.SGD(model.parameters(), 0.5);
        using var x = RecurrentGraphs.Random(4, 16, 5, 3);
        using var target = full(16, 4, 0.5f);
        model.train();
        double Loss()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(model.Forward([x])[0], target);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
        var first = Loss();
        double last = first;
        for (int i = 0; i < 20; i++) last = Loss();
        Assert.True(last < first * 0.5, $"loss went from {first} to {last}");
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
    }

    [Fact]
    public void NotTrainableWrappersFreezeInnerWeights()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [5, 3]}],
          "nodes": [
            {"name": "bi", "type": "Bidirectional", "config": {"trainable": false, "layer": {"type": "LSTM", "config": {"units": 2, "return_sequences": true}}}, "inputs": ["x"]},
            {"name": "td", "type": "TimeDistributed", "config": {"layer": {"type": "Dense", "config": {"units": 2, "trainable": false}}}, "inputs": ["bi"]} ],
          "outputs": ["td"] }
        """);
        var bi = graph.FindLayer("bi")!;
        var td = graph.FindLayer("td")!;
        Assert.Equal((0L, 2L * 4 * (2 * (3 + 2) + 2)), (bi.TrainableParams, bi.NonTrainableParams));
        Assert.Equal((0L, 4L * 2 + 2), (td.TrainableParams, td.NonTrainableParams));

        using var model = GraphModule.Create(graph);
        Assert.All(model.Weights, w => Assert.False(w.Trainable));
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
        Assert.Equal(["forward_lstm/kernel", "forward_lstm/recurrent_kernel", "forward_lstm/bias", "backward_lstm/kernel", "backward_lstm/recurrent_kernel", "backward_lstm/bias", "kernel", "bias"],
            model.Weights.Select(w => w.Name));
    }

    [Fact]
    public void SharedLstmCountsItsWeightsOnceAndComputesBothCalls()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "left", "shape": [null, 6]}, {"name": "right", "shape": [null, 6]}],
          "nodes": [
            {"name": "lstm", "type": "LSTM", "config": {"units": 5}, "inputs": ["left"]},
            {"name": "lstm_right", "share": "lstm", "inputs": ["right"]} ],
          "outputs": ["lstm", "lstm_right"] }
        """);
        Assert.Equal(4 * (5 * (6 + 5) + 5), graph.TotalParams);
        using var model = GraphModule.Create(graph);
        using var left = RecurrentGraphs.Random(1, 2, 4, 6);
        using var right = RecurrentGraphs.Random(2, 2, 7, 6);
        using var _ = no_grad();
        var outputs = model.Forward([left, right]);
        var again = model.Forward([right, left]);
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[0], again[1]));
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[1], again[0]));
    }
}
