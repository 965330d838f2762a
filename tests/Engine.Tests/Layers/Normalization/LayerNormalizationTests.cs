using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Normalization;

public class LayerNormalizationTests
{
    [Theory]
    [InlineData("{}", new int[] { 4, 6 }, 12)]
    [InlineData("""{"axis": [1, 2]}""", new int[] { 3, 4, 2 }, 24)]
    [InlineData("""{"center": false}""", new int[] { 4, 6 }, 6)]
    [InlineData("""{"center": false, "scale": false}""", new int[] { 4, 6 }, 0)]
    public void ParamCountsMatchKeras(string config, int[] input, long expected)
    {
        var graph = LayerGraphs.Single("LayerNormalization", config, input.Select(d => (int?)d).ToArray());
        Assert.Equal(expected, graph.TotalParams);
        Assert.Equal(expected, graph.TrainableParams);
    }

    [Fact]
    public void EachSampleIsNormalizedOverItsAxesWithTheBiasedVariance()
    {
        var graph = LayerGraphs.Single("LayerNormalization", """{"axis": [1, 2], "epsilon": 0.01}""", 3, 4, 2);
        using var model = GraphModule.Create(graph);
        using var gamma = LayerGraphs.Random(1, 3, 4);
        using var beta = LayerGraphs.Random(2, 3, 4);
        model.Weights[0].Write(gamma);
        model.Weights[1].Write(beta);
        using var x = LayerGraphs.Random(3, 2, 3, 4, 2) * 4;
        using var _ = no_grad();
        using var y = model.Forward([x])[0];
        var mean = x.mean([1, 2], keepdim: true);
        var variance = (x - mean).square().mean([1, 2], keepdim: true);
        using var expected = (x - mean) / (variance + 0.01).sqrt() * gamma.unsqueeze(-1) + beta.unsqueeze(-1);
        Assert.True(LayerGraphs.MaxDifference(y, expected) < 1e-5);
        model.train();
        using var trained = model.Forward([x])[0];
        Assert.Equal(0, LayerGraphs.MaxDifference(y, trained));
    }

    [Theory]
    [InlineData("""{"rms_scaling": true}""", new int[] { 4, 6 }, "/nodes/0/config/rms_scaling")]
    [InlineData("""{"axis": 0}""", new int[] { 4, 6 }, "/nodes/0/inputs")]
    [InlineData("""{"axis": [1, 1]}""", new int[] { 4, 6 }, "/nodes/0/inputs")]
    [InlineData("""{"axis": "last"}""", new int[] { 4, 6 }, "/nodes/0/config/axis")]
    public void InvalidConfigsPointAtTheCause(string config, int[] input, string pointer)
    {
        LayerGraphs.Error("LayerNormalization", config, input.Select(d => (int?)d).ToArray(), pointer);
    }
}
