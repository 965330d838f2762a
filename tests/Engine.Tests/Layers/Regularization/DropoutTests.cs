using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Regularization;

public class DropoutTests
{
    static Tensor Run(string config, Tensor x, bool training, ulong seed = 0)
    {
        var graph = LayerGraphs.Single("Dropout", config, x.shape.Skip(1).Select(d => (int?)d).ToArray());
        using var model = GraphModule.Create(graph, seed: seed);
        model.train(training);
        using var _ = no_grad();
        return model.Forward([x])[0].clone();
    }

    [Fact]
    public void InferenceIsTheIdentity()
    {
        using var x = LayerGraphs.Random(1, 4, 10);
        using var y = Run("""{"rate": 0.5}""", x, training: false);
        Assert.Equal(0, LayerGraphs.MaxDifference(x, y));
    }

    [Fact]
    public void TrainingDropsAboutRateAndScalesTheRest()
    {
        using var x = ones(64, 100);
        using var y = Run("""{"rate": 0.25}""", x, training: true);
        var values = y.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75f) < 1e-6, $"value {v}"));
        var dropped = values.Count(v => v == 0) / (double)values.Length;
        Assert.InRange(dropped, 0.22, 0.28);
    }

    [Fact]
    public void SeededLayersDrawTheSameMasks()
    {
        using var x = ones(8, 50);
        using var a = Run("""{"rate": 0.5, "seed": 7}""", x, training: true);
        using var b = Run("""{"rate": 0.5, "seed": 7}""", x, training: true);
        using var c = Run("""{"rate": 0.5, "seed": 8}""", x, training: true);
        Assert.Equal(0, LayerGraphs.MaxDifference(a, b));
        Assert.NotEqual(0, LayerGraphs.MaxDifference(a, c));
    }

    [Fact]
    public void NoiseShapeDropsWholeSlices()
    {
        // noise_shape (batch, 1, features): one decision per sample and feature, shared by every step.
        using var x = ones(4, 6, 20);
        using var y = Run("""{"rate": 0.5, "noise_shape": [null, 1, 20]}""", x, training: true);
        using var first = y[.., 0..1, ..];
        Assert.Equal(0, LayerGraphs.MaxDifference(y, first.expand_as(y)));
        Assert.True(y.eq(0).any().item<bool>());
    }

    [Theory]
    [InlineData("""{"rate": 1}""", "/nodes/0/config/rate")]
    [InlineData("""{"rate": 1.5}""", "/nodes/0/config/rate")]
    [InlineData("{}", "/nodes/0/config/rate")]
    [InlineData("""{"rate": 0.5, "noise_shape": "x"}""", "/nodes/0/config/noise_shape")]
    [InlineData("""{"rate": 0.5, "noise_shape": [null, 3]}""", "/nodes/0/inputs")]
    [InlineData("""{"rate": 0.5, "noise_shape": [null, 2, 4]}""", "/nodes/0/inputs")]
    public void InvalidConfigsPointAtTheCause(string config, string pointer)
    {
        LayerGraphs.Error("Dropout", config, [6, 4], pointer);
    }
}
