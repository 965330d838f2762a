using TorchSharp;

namespace TrainService.Engine.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchInitializesAndComputes()
    {
        using var a = torch.arange(6, dtype: torch.float32).reshape(2, 3);
        using var b = torch.ones(3, 2);
        using var product = a.matmul(b);
        Assert.Equal(new float[] { 3, 3, 12, 12 }, product.data<float>().ToArray());
    }
}
