using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Convolutional;

/// <summary>
/// Grouped and depthwise convolutions, outputs and gradients, against torch's grouped convolution
/// in float64, which oneDNN does not run: on this machine's AVX-512 CPU oneDNN's float32 grouped
/// kernels give wrong outputs for channels-last inputs and wrong or NaN input gradients, so the
/// layers do not use them (ConvolutionLayer.Convolve, Depthwise). tfjs has no grouped Conv2D.
/// </summary>
public class GroupedConvolutionTests
{
    [Theory]
    [InlineData("Conv2D", """{"filters": 6, "kernel_size": 3, "groups": 2}""", 4, 1, 1, 1)]
    [InlineData("Conv2D", """{"filters": 16, "kernel_size": 3, "groups": 8, "strides": [2, 1]}""", 8, 2, 1, 1)]
    [InlineData("DepthwiseConv2D", """{"kernel_size": 3}""", 16, 1, 1, 1)]
    [InlineData("DepthwiseConv2D", """{"kernel_size": [3, 2], "depth_multiplier": 2, "dilation_rate": 2}""", 8, 1, 1, 2)]
    [InlineData("SeparableConv2D", """{"filters": 5, "kernel_size": 3, "depth_multiplier": 2, "strides": 2}""", 8, 2, 2, 1)]
    public void OutputsAndGradientsMatchFloat64(string type, string config, int channels, int strideRows, int strideCols, int dilation)
    {
        var graph = LayerGraphs.Single(type, config, 9, 8, channels);
        using var model = GraphModule.Create(graph, seed: 3);
        model.train();
        using var x = LayerGraphs.Random(5, 2, 9, 8, channels).requires_grad_(true);
        var y = model.Forward([x])[0];
        using var g = LayerGraphs.Random(6, y.shape);
        var parameters = model.parameters().ToList();
        var grads = autograd.grad([y], [x, .. parameters], [g]);

        var weights = model.Weights.Select(w => w.Read().to_type(ScalarType.Float64).requires_grad_(true)).ToList();
        using var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_(true);
        var reference = Reference(type, x64, weights, channels, [strideRows, strideCols], [dilation, dilation]);
        Assert.Equal(reference.shape, y.shape);
        var referenceGrads = autograd.grad([reference], [x64, .. weights], [g.to_type(ScalarType.Float64)]);

        Assert.True(Relative(y, reference) < 1e-5, $"output differs by {Relative(y, reference):E2}");
        Assert.True(Relative(grads[0], referenceGrads[0]) < 1e-5, $"input gradient differs by {Relative(grads[0], referenceGrads[0]):E2}");
        // Torch and Keras lay the kernels out differently; sums of squares do not depend on layout.
        for (int i = 0; i < weights.Count; i++)
        {
            double ours = grads[1 + i].square().sum().item<float>(), keras = referenceGrads[1 + i].square().sum().item<double>();
            Assert.True(Math.Abs(ours - keras) <= 1e-4 * keras, $"gradient of {model.Weights[i].Name}: {ours} vs {keras}");
        }
    }

    /// <summary>The layer as torch's grouped convolution in float64 with Keras's weights, channels-first.</summary>
    static Tensor Reference(string type, Tensor x, List<Tensor> weights, long channels, long[] strides, long[] dilation)
    {
        var xcf = x.permute(0, 3, 1, 2);
        var k = weights[0];
        if (type == "Conv2D")
            return nn.functional.conv2d(xcf, k.permute(3, 2, 0, 1), weights[1], strides, dilation: dilation, groups: channels / k.shape[2]).permute(0, 2, 3, 1);
        // Depthwise: output channel c·dm + m is filter m of channel c, torch's order for one group per channel.
        var grouped = k.reshape(k.shape[0], k.shape[1], 1, k.shape[2] * k.shape[3]).permute(3, 2, 0, 1);
        if (type == "DepthwiseConv2D")
            return nn.functional.conv2d(xcf, grouped, weights[1], strides, dilation: dilation, groups: channels).permute(0, 2, 3, 1);
        var depthwise = nn.functional.conv2d(xcf, grouped, null, strides, dilation: dilation, groups: channels);
        return nn.functional.conv2d(depthwise, weights[1].permute(3, 2, 0, 1), weights[2]).permute(0, 2, 3, 1);
    }

    static double Relative(Tensor actual, Tensor expected)
    {
        var a = actual.detach().to_type(ScalarType.Float64);
        var e = expected.detach();
        return ((a - e).abs().max() / e.abs().max()).item<double>();
    }
}
