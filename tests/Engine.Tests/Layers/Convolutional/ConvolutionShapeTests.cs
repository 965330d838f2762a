using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Convolutional;

public class ConvolutionShapeTests
{
    // Expected counts are Keras's (kernel + bias as its build() declares them; tfjs's countParams agrees).
    [Theory]
    [InlineData("Conv2D", """{"filters": 32, "kernel_size": 3}""", new int[] { 28, 28, 1 }, "(None, 26, 26, 32)", 320)]
    [InlineData("Conv2D", """{"filters": 64, "kernel_size": [3, 3], "use_bias": false}""", new int[] { 13, 13, 32 }, "(None, 11, 11, 64)", 18_432)]
    [InlineData("Conv2D", """{"filters": 128, "kernel_size": 1, "strides": 2, "padding": "same", "use_bias": false}""", new int[] { 147, 147, 64 }, "(None, 74, 74, 128)", 8_192)]
    [InlineData("Conv2D", """{"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}""", new int[] { 7, 7, 3 }, "(None, 4, 4, 4)", 112)]
    [InlineData("Conv2D", """{"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}""", new int[] { 8, 8, 3 }, "(None, 4, 4, 4)", 112)]
    [InlineData("Conv2D", """{"filters": 3, "kernel_size": 3, "dilation_rate": 2}""", new int[] { 9, 9, 2 }, "(None, 5, 5, 3)", 57)]
    [InlineData("Conv2D", """{"filters": 6, "kernel_size": 3, "groups": 2}""", new int[] { 8, 8, 4 }, "(None, 6, 6, 6)", 114)]
    [InlineData("Conv1D", """{"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}""", new int[] { 10, 3 }, "(None, 10, 4)", 40)]
    [InlineData("Conv1D", """{"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}""", new int[] { 9, 3 }, "(None, 5, 2)", 26)]
    [InlineData("SeparableConv2D", """{"filters": 128, "kernel_size": 3, "padding": "same", "use_bias": false}""", new int[] { 147, 147, 64 }, "(None, 147, 147, 128)", 8_768)]
    [InlineData("SeparableConv2D", """{"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}""", new int[] { 7, 6, 3 }, "(None, 4, 3, 5)", 89)]
    [InlineData("DepthwiseConv2D", """{"kernel_size": 3, "depth_multiplier": 3}""", new int[] { 6, 5, 2 }, "(None, 4, 3, 6)", 60)]
    [InlineData("DepthwiseConv2D", """{"kernel_size": [3, 3], "strides": 2, "padding": "same", "use_bias": false}""", new int[] { 7, 8, 3 }, "(None, 4, 4, 3)", 27)]
    public void ShapesAndParamCountsMatchKeras(string type, string config, int[] input, string expectedShape, long expectedParams)
    {
        var graph = LayerGraphs.Single(type, config, input.Select(d => (int?)d).ToArray());
        Assert.Equal(expectedShape, graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(expectedParams, graph.TotalParams);
        Assert.Equal(expectedParams, graph.TrainableParams);
    }

    [Fact]
    public void Conv1DOnEmbeddedPostsHasTheChaptersCount()
    {
        // Chapter 7: layers.Conv1D(128, 5, activation='relu') on 256-wide embeddings of free length.
        var graph = LayerGraphs.Single("Conv1D", """{"filters": 128, "kernel_size": 5, "activation": "relu"}""", null, 256);
        Assert.Equal("(None, None, 128)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(163_968, graph.TotalParams);
    }

    [Theory]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}""", new long[] { 2, 7, 5, 3 })]
    [InlineData("Conv2D", """{"filters": 2, "kernel_size": [2, 3], "dilation_rate": [2, 1]}""", new long[] { 1, 6, 6, 2 })]
    [InlineData("Conv2D", """{"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same", "strides": 2}""", new long[] { 2, 6, 5, 4 })]
    [InlineData("Conv1D", """{"filters": 3, "kernel_size": 5, "padding": "causal"}""", new long[] { 2, 4, 2 })]
    [InlineData("SeparableConv2D", """{"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}""", new long[] { 2, 5, 6, 2 })]
    [InlineData("DepthwiseConv2D", """{"kernel_size": 2, "dilation_rate": 2}""", new long[] { 2, 5, 6, 2 })]
    public void FreeSizesRunOnAnySize(string type, string config, long[] input)
    {
        // Built for free spatial sizes, the layer pads each call from the tensor's own sizes.
        var graph = LayerGraphs.Single(type, config, [.. Enumerable.Repeat<int?>(null, input.Length - 2), (int)input[^1]]);
        var known = LayerGraphs.Single(type, config, input.Skip(1).Select(d => (int?)d).ToArray());
        using var x = LayerGraphs.Random(3, input);
        using var y = LayerGraphs.Predict(graph, x);
        Assert.Equal(known.Outputs[0].Info.Shape.ToString().Replace("None", input[0].ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), LayerGraphs.ShapeText(y));
    }

    [Theory]
    [InlineData("Conv2D", """{"filters": 8, "kernel_size": 3, "padding": "same"}""", new long[] { 2, 9, 9, 4 })]
    [InlineData("Conv1D", """{"filters": 8, "kernel_size": 3, "strides": 2}""", new long[] { 2, 9, 4 })]
    [InlineData("MaxPooling2D", """{"pool_size": 3, "strides": 2, "padding": "same"}""", new long[] { 2, 9, 9, 4 })]
    [InlineData("AveragePooling2D", """{"pool_size": 2}""", new long[] { 2, 9, 9, 4 })]
    [InlineData("MaxPooling1D", """{"pool_size": 3}""", new long[] { 2, 9, 4 })]
    [InlineData("AveragePooling1D", """{"pool_size": 2, "padding": "same"}""", new long[] { 2, 9, 4 })]
    public void OutputIsChannelsLastWithoutACopy(string type, string config, long[] input)
    {
        // The NHWC input goes to torch as an NCHW view; torch's channels-last kernel writes NHWC
        // memory, so permuting back gives a contiguous tensor: no copy on the way in or out.
        var graph = LayerGraphs.Single(type, config, input.Skip(1).Select(d => (int?)d).ToArray());
        using var model = GraphModule.Create(graph);
        using var x = LayerGraphs.Random(1, input);
        using var _ = no_grad();
        using var y = model.Forward([x])[0];
        Assert.True(y.is_contiguous());
    }

    [Fact]
    public void KernelsReadAndWriteInKerasLayout()
    {
        var graph = LayerGraphs.Single("SeparableConv2D", """{"filters": 4, "kernel_size": [3, 2], "depth_multiplier": 2}""", 5, 5, 3);
        using var model = GraphModule.Create(graph);
        var weights = model.Weights;
        Assert.Equal(["depthwise_kernel", "pointwise_kernel", "bias"], weights.Select(w => w.Name));
        Assert.Equal([3L, 2, 3, 2], weights[0].Shape);
        Assert.Equal([1L, 1, 6, 4], weights[1].Shape);
        foreach (var weight in weights)
        {
            using var value = LayerGraphs.Random(4, weight.Shape);
            weight.Write(value);
            using var back = weight.Read();
            Assert.Equal(0, LayerGraphs.MaxDifference(value, back));
        }
    }
}
