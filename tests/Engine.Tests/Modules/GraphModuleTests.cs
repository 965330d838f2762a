using TorchSharp;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Modules;

public class GraphModuleTests
{
    [Fact]
    public void DenseForwardUsesKerasLayoutWeights()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [2]}],
          "nodes": [{"name": "d", "type": "Dense", "config": {"units": 3, "activation": "relu"}, "inputs": ["x"]}],
          "outputs": ["d"] }
        """);
        using var model = GraphModule.Create(graph);
        var weights = model.Weights;
        Assert.Equal(["kernel", "bias"], weights.Select(w => w.Name));
        weights[0].Write(tensor(new float[] { 1, 2, 3, -4, -5, -6 }, [2, 3]));
        weights[1].Write(tensor(new float[] { 0.5f, 0, 0 }, [3]));
        using var x = tensor(new float[] { 1, 1 }, [1, 2]);
        var y = model.Forward([x])[0];
        // [1,1]·[[1,2,3],[-4,-5,-6]] + [0.5,0,0] = [-2.5,-3,-3] -> relu -> 0
        Assert.Equal(new float[] { 0, 0, 0 }, y.data<float>().ToArray());
        using var x2 = tensor(new float[] { 1, 0 }, [1, 2]);
        Assert.Equal(new float[] { 1.5f, 2, 3 }, model.Forward([x2])[0].data<float>().ToArray());
        using var kernel = weights[0].Read();
        Assert.Equal([2L, 3L], kernel.shape);
    }

    [Fact]
    public void SameSeedGivesSameGlorotWeights()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [100]}],
          "nodes": [{"name": "d", "type": "Dense", "config": {"units": 50}, "inputs": ["x"]}],
          "outputs": ["d"] }
        """);
        using var a = GraphModule.Create(graph, seed: 7);
        using var b = GraphModule.Create(graph, seed: 7);
        using var ka = a.Weights[0].Read();
        using var kb = b.Weights[0].Read();
        Assert.True(ka.eq(kb).all().item<bool>());
        var limit = Math.Sqrt(6.0 / 150);
        Assert.True(ka.abs().max().item<float>() <= limit);
        Assert.True(ka.abs().max().item<float>() > limit * 0.9);
    }
}
