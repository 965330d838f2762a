using TrainService.Engine.Applications;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using TrainService.Engine.Summary;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Applications;

public class XceptionTests
{
    [Fact]
    public void NoTopHasKerasParamCounts()
    {
        var graph = LayerGraphs.Single("Xception", """{"include_top": false, "weights": null}""", 250, 250, 3);
        Assert.Equal(20_861_480, graph.TotalParams);
        Assert.Equal(54_528, graph.NonTrainableParams);
        Assert.Equal("(None, 8, 8, 2048)", graph.Outputs[0].Info.Shape.ToString());
    }
}
