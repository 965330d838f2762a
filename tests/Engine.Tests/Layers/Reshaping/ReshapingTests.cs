using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Reshaping;

public class ReshapingTests
{
    [Theory]
    [InlineData("Flatten", "{}", new int[] { 3, 4, 2 }, "(None, 24)")]
    [InlineData("Flatten", """{"data_format": "channels_last"}""", new int[] { 7 }, "(None, 7)")]
    [InlineData("Reshape", """{"target_shape": [-1, 4, 2]}""", new int[] { 6, 4 }, "(None, 3, 4, 2)")]
    [InlineData("Reshape", """{"target_shape": [24]}""", new int[] { 6, 4 }, "(None, 24)")]
    [InlineData("Permute", """{"dims": [2, 1]}""", new int[] { 3, 4 }, "(None, 4, 3)")]
    [InlineData("Permute", """{"dims": [3, 1, 2]}""", new int[] { 2, 3, 4 }, "(None, 4, 2, 3)")]
    public void ShapesMatchKeras(string type, string config, int[] input, string expected)
    {
        var graph = LayerGraphs.Single(type, config, input.Select(d => (int?)d).ToArray());
        Assert.Equal(expected, graph.Outputs[0].Info.Shape.ToString());
        using var x = LayerGraphs.Random(1, [2, .. input.Select(d => (long)d)]);
        using var y = LayerGraphs.Predict(graph, x);
        Assert.Equal(expected.Replace("None", "2", StringComparison.Ordinal), LayerGraphs.ShapeText(y));
    }

    [Fact]
    public void FlattenOrderIsRowsColsChannels()
    {
        using var x = LayerGraphs.Random(3, 2, 3, 4, 2);
        using var y = LayerGraphs.Predict(LayerGraphs.Single("Flatten", "{}", 3, 4, 2), x);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < 2; c++)
                    Assert.Equal(x[1, i, j, c].item<float>(), y[1, (i * 4 + j) * 2 + c].item<float>());
    }

    [Fact]
    public void FreeSizesStayFree()
    {
        Assert.Equal("(None, None)", LayerGraphs.Single("Flatten", "{}", null, 3).Outputs[0].Info.Shape.ToString());
        Assert.Equal("(None, None, 2)", LayerGraphs.Single("Reshape", """{"target_shape": [-1, 2]}""", null, 4).Outputs[0].Info.Shape.ToString());
        Assert.Equal("(None, 3, None)", LayerGraphs.Single("Permute", """{"dims": [2, 1]}""", null, 3).Outputs[0].Info.Shape.ToString());
    }

    [Fact]
    public void ReshapeWhoseSizesDoNotMultiplyOutNamesTheShapes()
    {
        var message = LayerGraphs.Error("Reshape", """{"target_shape": [5, 5]}""", [6, 4], "/nodes/0/inputs");
        Assert.Contains("(None, 6, 4)", message);
        Assert.Contains("(None, 5, 5)", message);
        Assert.Contains("24 values", message);
        Assert.Contains("not a multiple of 5", LayerGraphs.Error("Reshape", """{"target_shape": [-1, 5]}""", [6, 4], "/nodes/0/inputs"));
    }

    [Fact]
    public void ReshapeOfFreeSizesChecksAtRunTime()
    {
        var graph = LayerGraphs.Single("Reshape", """{"target_shape": [-1, 5]}""", null, 2);
        using var x = LayerGraphs.Random(1, 1, 3, 2);
        var error = Assert.Throws<ArgumentException>(() => LayerGraphs.Predict(graph, x));
        Assert.Contains("Layer 'layer'", error.Message);
        Assert.Contains("(3, 2)", error.Message);
    }

    [Theory]
    [InlineData("Reshape", """{"target_shape": [-1, -1]}""", "/nodes/0/config/target_shape")]
    [InlineData("Reshape", """{"target_shape": [0, 24]}""", "/nodes/0/config/target_shape")]
    [InlineData("Reshape", "{}", "/nodes/0/config/target_shape")]
    [InlineData("Permute", """{"dims": [1, 3]}""", "/nodes/0/config/dims")]
    [InlineData("Permute", """{"dims": [0, 1]}""", "/nodes/0/config/dims")]
    [InlineData("Permute", """{"dims": [1, 2, 3]}""", "/nodes/0/inputs")]
    [InlineData("Flatten", """{"data_format": "channels_first"}""", "/nodes/0/config/data_format")]
    public void InvalidConfigsPointAtTheCause(string type, string config, string pointer)
    {
        LayerGraphs.Error(type, config, [6, 4], pointer);
    }
}
