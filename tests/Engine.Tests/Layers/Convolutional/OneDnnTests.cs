using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Convolutional;

/// <summary>
/// With AVX-512 kernels, libtorch's oneDNN returns wrong input gradients, different from run to
/// run, for convolutions of inputs with one or two channels on this machine; the Engine keeps it
/// to AVX2 (OneDnnSettings), where they are right.
/// </summary>
public class OneDnnTests
{
    [Fact]
    public void EngineLimitsOneDnnToAvx2UnlessTheOperatorChose()
    {
        var chosen = Environment.GetEnvironmentVariable(OneDnnSettings.Variable);
        Assert.Equal(chosen ?? OneDnnSettings.Default, OneDnnSettings.Current);
    }

    [Theory]
    [InlineData(1, """{"filters": 2, "kernel_size": 3}""")]
    [InlineData(1, """{"filters": 2, "kernel_size": 3, "strides": [2, 1]}""")]
    [InlineData(2, """{"filters": 2, "kernel_size": 3, "strides": 2}""")]
    public void FewChannelInputGradientsMatchFloat64(int channels, string config)
    {
        var graph = LayerGraphs.Single("Conv2D", config, 9, 8, channels);
        using var model = GraphModule.Create(graph, seed: 1);
        var kernel = model.Weights[0].Read().to_type(ScalarType.Float64);
        var bias = model.Weights[1].Read().to_type(ScalarType.Float64);
        long[] strides = config.Contains("[2, 1]", StringComparison.Ordinal) ? [2, 1] : config.Contains("\"strides\": 2", StringComparison.Ordinal) ? [2, 2] : [1, 1];
        for (int run = 0; run < 5; run++)
        {
            using var x = LayerGraphs.Random(run, 2, 9, 8, channels).requires_grad_(true);
            var y = model.Forward([x])[0];
            using var g = LayerGraphs.Random(100 + run, y.shape);
            var gradient = autograd.grad([y], [x], [g])[0];

            using var x64 = x.detach().to_type(ScalarType.Float64).requires_grad_(true);
            var y64 = nn.functional.conv2d(x64.permute(0, 3, 1, 2), kernel.permute(3, 2, 0, 1), bias, strides).permute(0, 2, 3, 1);
            var expected = autograd.grad([y64], [x64], [g.to_type(ScalarType.Float64)])[0];
            var error = ((gradient.to_type(ScalarType.Float64) - expected).abs().max() / expected.abs().max()).item<double>();
            Assert.True(error < 1e-5, $"run {run}: input gradient differs by {error:E2}");
        }
    }
}
