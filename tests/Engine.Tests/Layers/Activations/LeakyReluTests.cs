using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Activations;

public class LeakyReluTests
{
    [Theory]
    [InlineData("{}", 0.3f)]
    [InlineData("""{"negative_slope": 0.1}""", 0.1f)]
    [InlineData("""{"alpha": 0.2}""", 0.2f)]
    public void NegativeValuesAreScaledBySlope(string config, float slope)
    {
        using var x = tensor(new float[] { -2, -0.5f, 0, 1.5f }).reshape(1, 4);
        var y = LayerGraphs.Predict(LayerGraphs.Single("LeakyReLU", config, 4), x).data<float>().ToArray();
        Assert.Equal(new[] { -2 * slope, -0.5f * slope, 0, 1.5f }, y);
    }

    [Theory]
    [InlineData("""{"negative_slope": -0.1}""", "/nodes/0/config/negative_slope")]
    [InlineData("""{"alpha": 0.1, "negative_slope": 0.1}""", "/nodes/0/config/alpha")]
    public void InvalidSlopesAreErrors(string config, string pointer)
    {
        LayerGraphs.Error("LeakyReLU", config, [4], pointer);
    }
}
