using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Pooling;

public class PoolingTests
{
    [Theory]
    [InlineData("MaxPooling2D", "{}", new int[] { 7, 6, 3 }, "(None, 3, 3, 3)")]
    [InlineData("MaxPooling2D", """{"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}""", new int[] { 7, 6, 3 }, "(None, 4, 3, 3)")]
    [InlineData("MaxPooling2D", """{"pool_size": 3, "strides": 2, "padding": "same"}""", new int[] { 122, 122, 128 }, "(None, 61, 61, 128)")]
    [InlineData("AveragePooling2D", """{"pool_size": 3, "strides": 2}""", new int[] { 9, 9, 4 }, "(None, 4, 4, 4)")]
    [InlineData("AveragePooling2D", """{"pool_size": [3, 2], "strides": 1, "padding": "same"}""", new int[] { 5, 4, 2 }, "(None, 5, 4, 2)")]
    [InlineData("MaxPooling1D", "{}", new int[] { 9, 3 }, "(None, 4, 3)")]
    [InlineData("MaxPooling1D", """{"pool_size": 5}""", new int[] { 496, 128 }, "(None, 99, 128)")]
    [InlineData("AveragePooling1D", """{"pool_size": 4, "strides": 3, "padding": "same"}""", new int[] { 9, 2 }, "(None, 3, 2)")]
    [InlineData("GlobalMaxPooling1D", "{}", new int[] { 9, 3 }, "(None, 3)")]
    [InlineData("GlobalAveragePooling1D", """{"keepdims": true}""", new int[] { 9, 3 }, "(None, 1, 3)")]
    [InlineData("GlobalAveragePooling2D", "{}", new int[] { 8, 8, 2048 }, "(None, 2048)")]
    [InlineData("GlobalMaxPooling2D", """{"keepdims": true, "data_format": "channels_last"}""", new int[] { 5, 4, 3 }, "(None, 1, 1, 3)")]
    public void ShapesMatchKeras(string type, string config, int[] input, string expected)
    {
        var graph = LayerGraphs.Single(type, config, input.Select(d => (int?)d).ToArray());
        Assert.Equal(expected, graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(0, graph.TotalParams);
        using var x = LayerGraphs.Random(1, [2, .. input.Select(d => (long)d)]);
        using var y = LayerGraphs.Predict(graph, x);
        Assert.Equal(expected.Replace("None", "2", StringComparison.Ordinal), LayerGraphs.ShapeText(y));
    }

    [Fact]
    public void SamePoolingLeavesTheEndPaddingOut()
    {
        // Length 5, pool 2, stride 2, "same": 3 windows and one padded cell at the end (TensorFlow's
        // rule), so the windows are [1 2], [3 4], [5 pad]: the average of the last is 5, not 2.5, and
        // the maximum of negative values ignores the padding (-5, not 0).
        using var x = tensor(new float[] { 1, 2, 3, 4, 5 }).reshape(1, 5, 1);
        var average = LayerGraphs.Single("AveragePooling1D", """{"pool_size": 2, "padding": "same"}""", 5, 1);
        var max = LayerGraphs.Single("MaxPooling1D", """{"pool_size": 2, "padding": "same"}""", 5, 1);
        Assert.Equal(new float[] { 1.5f, 3.5f, 5 }, LayerGraphs.Predict(average, x).data<float>().ToArray());
        using var negative = -x;
        Assert.Equal(new float[] { -1, -3, -5 }, LayerGraphs.Predict(max, negative).data<float>().ToArray());
    }

    [Fact]
    public void SymmetricSamePaddingAveragesOnlyTheCellsInside()
    {
        // 3x3 windows at stride 1 pad one cell on every side: a corner window holds 4 input cells.
        using var x = arange(1, 10, dtype: ScalarType.Float32).reshape(1, 3, 3, 1);
        var graph = LayerGraphs.Single("AveragePooling2D", """{"pool_size": 3, "strides": 1, "padding": "same"}""", 3, 3, 1);
        var y = LayerGraphs.Predict(graph, x).reshape(9).data<float>().ToArray();
        Assert.Equal((1 + 2 + 4 + 5) / 4f, y[0]);
        Assert.Equal(5f, y[4]);
        Assert.Equal((5 + 6 + 8 + 9) / 4f, y[8]);
    }

    [Fact]
    public void GlobalPoolsReduceTheSpatialAxes()
    {
        using var x = LayerGraphs.Random(2, 2, 4, 3, 5);
        using var mean = LayerGraphs.Predict(LayerGraphs.Single("GlobalAveragePooling2D", """{"keepdims": true}""", 4, 3, 5), x);
        using var max = LayerGraphs.Predict(LayerGraphs.Single("GlobalMaxPooling2D", "{}", 4, 3, 5), x);
        Assert.True(LayerGraphs.MaxDifference(mean, x.mean([1, 2], keepdim: true)) < 1e-6);
        Assert.Equal(0, LayerGraphs.MaxDifference(max, x.amax([1, 2])));
    }

    [Fact]
    public void PoolBiggerThanTheInputNamesNodeAndShapes()
    {
        var message = LayerGraphs.Error("MaxPooling2D", """{"pool_size": 5}""", [4, 6, 1], "/nodes/0/inputs");
        Assert.Contains("'layer'", message);
        Assert.Contains("5x5 pool", message);
        Assert.Contains("(None, 4, 6, 1)", message);
    }

    [Theory]
    [InlineData("MaxPooling2D", """{"data_format": "channels_first"}""", "/nodes/0/config/data_format")]
    [InlineData("AveragePooling2D", """{"padding": "causal"}""", "/nodes/0/config/padding")]
    [InlineData("AveragePooling2D", """{"pool_size": 0}""", "/nodes/0/config/pool_size")]
    [InlineData("GlobalAveragePooling2D", """{"data_format": "channels_first"}""", "/nodes/0/config/data_format")]
    [InlineData("MaxPooling1D", "{}", "/nodes/0/inputs")]
    [InlineData("GlobalMaxPooling1D", "{}", "/nodes/0/inputs")]
    public void InvalidConfigsAndRanksPointAtTheCause(string type, string config, string pointer)
    {
        LayerGraphs.Error(type, config, [6, 6, 2], pointer);
    }
}
