using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Normalization;

public class BatchNormalizationTests
{
    [Theory]
    [InlineData("{}", 64, 32)]
    [InlineData("""{"center": false}""", 48, 32)]
    [InlineData("""{"center": false, "scale": false}""", 32, 32)]
    public void CountsFourPerChannelWithTheMovingStatisticsNonTrainable(string config, long total, long nonTrainable)
    {
        var graph = LayerGraphs.Single("BatchNormalization", config, 10, 10, 16);
        Assert.Equal(total, graph.TotalParams);
        Assert.Equal(nonTrainable, graph.NonTrainableParams);
        Assert.Equal("(None, 10, 10, 16)", graph.Outputs[0].Info.Shape.ToString());
    }

    [Fact]
    public void MovingStatisticsAreBuffersNotParameters()
    {
        using var model = GraphModule.Create(LayerGraphs.Single("BatchNormalization", "{}", 3));
        Assert.Equal(["gamma", "beta", "moving_mean", "moving_variance"], model.Weights.Select(w => w.Name));
        Assert.Equal([true, true, false, false], model.Weights.Select(w => w.Trainable));
        Assert.Equal(2, model.parameters().Count());
        Assert.Equal(2, model.buffers().Count());
    }

    [Fact]
    public void TrainingNormalizesWithTheBatchAndMovesTheStatisticsAsKerasDoes()
    {
        // Keras 3: y = (x − mean)/sqrt(var + ε)·γ + β with the batch's biased variance;
        // moving = moving·momentum + batch·(1 − momentum), also with the biased variance.
        var graph = LayerGraphs.Single("BatchNormalization", """{"momentum": 0.9, "epsilon": 0.01}""", 5, 3);
        using var model = GraphModule.Create(graph);
        using var gamma = tensor(new float[] { 1.5f, -0.5f, 2 });
        using var beta = tensor(new float[] { 0.1f, 0.2f, -0.3f });
        using var movingMean = tensor(new float[] { 0.5f, -1, 0 });
        using var movingVariance = tensor(new float[] { 2, 0.5f, 1 });
        foreach (var (weight, value) in model.Weights.Zip([gamma, beta, movingMean, movingVariance])) weight.Write(value);
        model.train();

        using var x = LayerGraphs.Random(4, 6, 5, 3) * 3 + 1;
        using var y = model.Forward([x])[0];
        var mean = x.mean([0, 1]);
        var variance = (x - mean).square().mean([0, 1]);
        using var expected = (x - mean) / (variance + 0.01).sqrt() * gamma + beta;
        Assert.True(LayerGraphs.MaxDifference(y, expected) < 1e-5);
        using var expectedMean = movingMean * 0.9 + mean * 0.1;
        using var expectedVariance = movingVariance * 0.9 + variance * 0.1;
        Assert.True(LayerGraphs.MaxDifference(model.Weights[2].Read(), expectedMean) < 1e-6);
        Assert.True(LayerGraphs.MaxDifference(model.Weights[3].Read(), expectedVariance) < 1e-6);

        // A second step moves from there.
        using var x2 = LayerGraphs.Random(5, 6, 5, 3);
        model.Forward([x2]);
        var mean2 = x2.mean([0, 1]);
        using var expectedMean2 = expectedMean * 0.9 + mean2 * 0.1;
        Assert.True(LayerGraphs.MaxDifference(model.Weights[2].Read(), expectedMean2) < 1e-6);
    }

    [Fact]
    public void InferenceUsesTheMovingStatisticsAndChangesNothing()
    {
        var graph = LayerGraphs.Single("BatchNormalization", "{}", 4, 2);
        using var model = GraphModule.Create(graph);
        using var movingMean = tensor(new float[] { 1, -2 });
        using var movingVariance = tensor(new float[] { 4, 0.25f });
        model.Weights[2].Write(movingMean);
        model.Weights[3].Write(movingVariance);
        model.eval();
        using var x = LayerGraphs.Random(2, 3, 4, 2);
        using var y = model.Forward([x])[0];
        using var expected = (x - movingMean) / (movingVariance + 1e-3).sqrt();
        Assert.True(LayerGraphs.MaxDifference(y, expected) < 1e-6);
        Assert.Equal(0, LayerGraphs.MaxDifference(model.Weights[2].Read(), movingMean));
    }

    [Fact]
    public void FrozenLayerRunsInInferenceModeEvenWhenTraining()
    {
        var graph = LayerGraphs.Single("BatchNormalization", """{"trainable": false}""", 3);
        Assert.Equal(12, graph.NonTrainableParams);
        using var model = GraphModule.Create(graph);
        model.train();
        using var x = LayerGraphs.Random(3, 8, 3) * 5 + 2;
        using var y = model.Forward([x])[0];
        // Initial moving statistics (0, 1): y = x / sqrt(1 + ε), and they stay where they were.
        Assert.True(LayerGraphs.MaxDifference(y, x / Math.Sqrt(1.001)) < 1e-5);
        Assert.Equal(0, model.Weights[2].Read().abs().max().item<float>());
        Assert.False(y.requires_grad);
    }

    [Fact]
    public void GradientsReachGammaAndBetaNotTheStatistics()
    {
        using var model = GraphModule.Create(LayerGraphs.Single("BatchNormalization", "{}", 3));
        model.train();
        using var x = LayerGraphs.Random(4, 8, 3);
        using var target = LayerGraphs.Random(5, 8, 3);
        model.Forward([x])[0].mul(target).sum().backward();
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
        Assert.All(model.buffers(), b => Assert.False(b.requires_grad));
    }

    [Fact]
    public void AnotherAxisEqualsTheLastAxisOnTransposedData()
    {
        // tfjs normalizes non-last axes wrongly, so axis 1 is checked against axis −1 here: the same
        // weights on (batch, channels, steps) and on its transpose (batch, steps, channels).
        var onAxis1 = LayerGraphs.Single("BatchNormalization", """{"axis": [1]}""", 3, 5);
        var onLast = LayerGraphs.Single("BatchNormalization", """{"axis": -1}""", 5, 3);
        Assert.Equal(12, onAxis1.TotalParams);
        using var a = GraphModule.Create(onAxis1, seed: 1);
        using var b = GraphModule.Create(onLast, seed: 2);
        foreach (var (from, to) in a.Weights.Zip(b.Weights))
        {
            using var value = LayerGraphs.Random(7, from.Shape).abs() + 0.5;
            from.Write(value);
            to.Write(value);
        }
        using var x = LayerGraphs.Random(8, 4, 3, 5);
        foreach (var training in new[] { true, false })
        {
            a.train(training);
            b.train(training);
            using var ya = a.Forward([x])[0];
            using var yb = b.Forward([x.transpose(1, 2)])[0];
            Assert.True(LayerGraphs.MaxDifference(ya, yb.transpose(1, 2)) < 1e-5);
        }
        Assert.True(LayerGraphs.MaxDifference(a.Weights[3].Read(), b.Weights[3].Read()) < 1e-6);
    }

    [Theory]
    [InlineData("""{"axis": 0}""", "/nodes/0/inputs")]
    [InlineData("""{"axis": 3}""", "/nodes/0/inputs")]
    [InlineData("""{"axis": [1, 2]}""", "/nodes/0/config/axis")]
    [InlineData("""{"renorm": true}""", "/nodes/0/config/renorm")]
    [InlineData("""{"virtual_batch_size": 8}""", "/nodes/0/config/virtual_batch_size")]
    [InlineData("""{"momentum": 1.5}""", "/nodes/0/config/momentum")]
    [InlineData("""{"epsilon": 0}""", "/nodes/0/config/epsilon")]
    public void InvalidConfigsPointAtTheCause(string config, string pointer)
    {
        LayerGraphs.Error("BatchNormalization", config, [4, 2], pointer);
    }

    [Fact]
    public void Keras2AndKeras3KeysAreAccepted()
    {
        Assert.Empty(LayerGraphs.Errors("BatchNormalization", """
            {"axis": [2], "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
             "beta_initializer": {"class_name": "Zeros", "config": {}}, "gamma_initializer": "ones",
             "moving_mean_initializer": "zeros", "moving_variance_initializer": "ones",
             "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null,
             "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99, "fused": null}
            """, 4, 2));
    }

    [Fact]
    public void FreeChannelSizeIsAnError()
    {
        Assert.Contains("axis -1 defined", LayerGraphs.Error("BatchNormalization", "{}", [4, null], "/nodes/0/inputs"));
    }
}
