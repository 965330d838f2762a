using TrainService.Engine.Applications;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using TrainService.Engine.Summary;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Applications;

public class XceptionTests
{
    const string NoTop = """{"include_top": false, "weights": null}""";

    static ModelGraph Single(string config, params int?[] input) => LayerGraphs.Single("Xception", config, input);

    [Theory]
    [InlineData(250, "(None, 8, 8, 2048)")]
    [InlineData(299, "(None, 10, 10, 2048)")]
    [InlineData(71, "(None, 3, 3, 2048)")]
    public void NoTopHasKerasCountsAtEverySize(int size, string expected)
    {
        var graph = Single(NoTop, size, size, 3);
        Assert.Equal(expected, graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(20_861_480, graph.TotalParams);
        Assert.Equal(54_528, graph.NonTrainableParams);
    }

    [Fact]
    public void TopAddsTheClassifier()
    {
        var graph = Single("""{"include_top": true, "weights": null}""", 299, 299, 3);
        Assert.Equal("(None, 1000)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(22_910_480, graph.TotalParams);
        var layer = (XceptionLayer)graph.Layers[0].Layer;
        Assert.Equal("predictions", layer.Inner!.Layers[^1].Name);
    }

    [Theory]
    [InlineData("avg", "GlobalAveragePooling2D", "global_average_pooling2d")]
    [InlineData("max", "GlobalMaxPooling2D", "global_max_pooling2d")]
    public void PoolingEndsInAGlobalPool(string pooling, string type, string name)
    {
        var graph = Single($$"""{"include_top": false, "weights": null, "pooling": "{{pooling}}"}""", 250, 250, 3);
        Assert.Equal("(None, 2048)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(20_861_480, graph.TotalParams);
        var inner = ((XceptionLayer)graph.Layers[0].Layer).Inner!;
        Assert.Equal((type, name), (inner.Layers[^1].Layer.Type, inner.Layers[^1].Name));
    }

    [Fact]
    public void InnerGraphIsKerasLayerList()
    {
        // keras.applications.xception: 132 layers with the InputLayer, named as Keras names them.
        var inner = ((XceptionLayer)Single(NoTop, null, null, 3).Layers[0].Layer).Inner!;
        Assert.Equal(132, inner.Entries.Count);
        var types = inner.Layers.GroupBy(l => l.Layer.Type).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(6, types["Conv2D"]);
        Assert.Equal(34, types["SeparableConv2D"]);
        Assert.Equal(40, types["BatchNormalization"]);
        Assert.Equal(35, types["Activation"]);
        Assert.Equal(4, types["MaxPooling2D"]);
        Assert.Equal(12, types["Add"]);
        Assert.Equal(["input_layer", "block1_conv1", "block1_conv1_bn"], inner.Entries.Take(3).Select(e => e.Name));
        Assert.NotNull(inner.FindLayer("conv2d_3"));
        Assert.NotNull(inner.FindLayer("batch_normalization_3"));
        Assert.NotNull(inner.FindLayer("add_11"));
        Assert.Equal("block14_sepconv2_act", inner.Layers[^1].Name);
    }

    [Fact]
    public void FreeSizeBaseCalledOnAFixedSizeIsReinferred()
    {
        var graph = Single(NoTop, 250, 250, 3);
        var layer = (XceptionLayer)graph.Layers[0].Layer;
        Assert.Equal("(None, None, None, 3)", layer.Inner!.Inputs[0].Info.Shape.ToString());
        Assert.Equal("(None, None, None, 2048)", layer.Inner.Outputs[0].Info.Shape.ToString());
        Assert.Equal("(None, 8, 8, 2048)", graph.Outputs[0].Info.Shape.ToString());
    }

    [Fact]
    public void IsOneFunctionalRowInTheSummary()
    {
        var summary = ModelSummary.Of(Single(NoTop, 250, 250, 3));
        var row = summary.Layers.Single(r => r.Name == "layer");
        Assert.Equal(("Functional", "(None, 8, 8, 2048)", 20_861_480L), (row.Type, row.OutputShape, row.Params));
        Assert.Equal(2, summary.Layers.Count);
        Assert.Contains("Total params: 20,861,480", summary.Text);
        Assert.Contains("Non-trainable params: 54,528", summary.Text);
    }

    [Fact]
    public void SharedCallsUseOneSetOfWeights()
    {
        // Chapter 7: one Xception base applied to a left and a right camera image.
        var graph = GraphBuilder.Build("""
            { "inputs": [{"name": "left", "shape": [250, 250, 3]}, {"name": "right", "shape": [299, 299, 3]}],
              "nodes": [
                {"name": "xception", "type": "Xception", "config": {"include_top": false, "weights": null, "pooling": "avg"}, "inputs": ["left"]},
                {"name": "xception_right", "share": "xception", "inputs": ["right"]},
                {"name": "merged", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["xception", "xception_right"]}],
              "outputs": ["merged"] }
            """);
        Assert.Equal(20_861_480, graph.TotalParams);
        Assert.Equal("(None, 4096)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Single(graph.Layers, l => l.Layer is XceptionLayer);
    }

    [Fact]
    public void TrainingStepGivesFiniteGradientsEverywhere()
    {
        // The one test that runs the whole network (drawing 20.8M initial weights alone takes
        // seconds here): gradients reach every weight and are finite, and batch statistics move.
        var graph = Single("""{"include_top": false, "weights": null, "pooling": "avg"}""", 71, 71, 3);
        using var model = GraphModule.Create(graph, seed: 5);
        model.train();
        var movingMean = model.Weights.First(w => w.Name.EndsWith("moving_mean", StringComparison.Ordinal));
        using var before = movingMean.Read();
        using var x = LayerGraphs.Random(2, 1, 71, 71, 3);
        var output = model.Forward([x])[0];
        Assert.Equal([1L, 2048], output.shape);
        output.square().mean().backward();
        var parameters = model.parameters().ToList();
        Assert.Equal(20_806_952, parameters.Sum(p => p.numel()));
        Assert.All(parameters, p => Assert.True(p.grad is not null && p.grad.isfinite().all().item<bool>()));
        Assert.NotEqual(0, LayerGraphs.MaxDifference(before, movingMean.Read()));
    }

    [Fact]
    public void FrozenBaseHasNoTrainableWeights()
    {
        var graph = Single("""{"include_top": false, "weights": null, "trainable": false}""", 250, 250, 3);
        Assert.Equal(0, graph.TrainableParams);
        Assert.Equal(20_861_480, graph.NonTrainableParams);
        var inner = ((XceptionLayer)graph.Layers[0].Layer).Inner!;
        Assert.All(inner.Layers, l => Assert.False(l.Layer.Trainable));
    }

    [Theory]
    [InlineData("""{"include_top": false}""", "/nodes/0/config/weights", "required")]
    [InlineData("""{"include_top": false, "weights": "imagenet"}""", "/nodes/0/config/weights", "downloaded")]
    [InlineData("""{"include_top": false, "weights": null, "input_shape": [64, 64, 3]}""", "/nodes/0/config/input_shape", "at least 71x71")]
    [InlineData("""{"include_top": false, "weights": null, "input_shape": [250, 250]}""", "/nodes/0/config/input_shape", "three sizes")]
    [InlineData("""{"include_top": true, "weights": null, "input_shape": [null, null, 3]}""", "/nodes/0/config/input_shape", "fully defined")]
    [InlineData("""{"include_top": false, "weights": null, "pooling": "sum"}""", "/nodes/0/config/pooling", "'avg', 'max'")]
    [InlineData("""{"include_top": false, "weights": null, "input_tensor": "x"}""", "/nodes/0/config/input_tensor", "not supported")]
    [InlineData("""{"include_top": true, "weights": null, "classifier_activation": "softmaxx"}""", "/nodes/0/config/classifier_activation", "Unknown activation")]
    public void InvalidConfigsPointAtTheKey(string config, string pointer, string text)
    {
        Assert.Contains(text, LayerGraphs.Error("Xception", config, [299, 299, 3], pointer));
    }

    [Theory]
    [InlineData(64, 64, 3, "at least 71x71")]
    [InlineData(250, 250, 1, "takes (None, 250, 250, 3) as its input")]
    public void CallsOnImpossibleInputsNameTheShapes(int rows, int cols, int channels, string text)
    {
        var config = channels == 3 ? NoTop : """{"include_top": false, "weights": null, "input_shape": [250, 250, 3]}""";
        var message = LayerGraphs.Error("Xception", config, [rows, cols, channels], "/nodes/0/inputs");
        Assert.Contains("'layer'", message);
        Assert.Contains(text, message);
    }
}
