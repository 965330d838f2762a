using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Embedding;

public class EmbeddingTests
{
    static ModelGraph Graph(string config, int? length, string dtype = "int32") =>
        GraphBuilder.Build(LayerGraphs.Json("Embedding", config, [length], dtype));

    [Fact]
    public void ShapeAndCountMatchKeras()
    {
        // Chapter 7: layers.Embedding(text_vocabulary_size=10000, 64) on free-length texts.
        var graph = Graph("""{"input_dim": 10000, "output_dim": 64}""", null);
        Assert.Equal("(None, None, 64)", graph.Outputs[0].Info.Shape.ToString());
        Assert.Equal(640_000, graph.TotalParams);
    }

    [Fact]
    public void IndicesSelectRowsAndFloatIndicesAreTruncated()
    {
        var graph = Graph("""{"input_dim": 5, "output_dim": 3}""", 4);
        using var model = GraphModule.Create(graph);
        using var table = LayerGraphs.Random(1, 5, 3);
        model.Weights[0].Write(table);
        using var _ = no_grad();
        using var indices = tensor(new int[] { 4, 0, 2, 2 }).reshape(1, 4);
        using var y = model.Forward([indices])[0];
        Assert.Equal(0, LayerGraphs.MaxDifference(y[0], table.index_select(0, tensor(new long[] { 4, 0, 2, 2 }))));
        using var floats = tensor(new float[] { 4.7f, 0.2f, 2.9f, 2 }).reshape(1, 4);
        Assert.Equal(0, LayerGraphs.MaxDifference(model.Forward([floats])[0], y));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(-1)]
    public void OutOfRangeIndicesGiveAClearError(int bad)
    {
        var graph = Graph("""{"input_dim": 10, "output_dim": 2}""", 3);
        using var model = GraphModule.Create(graph);
        using var indices = tensor(new int[] { 1, bad, 3 }).reshape(1, 3);
        var error = Assert.Throws<ArgumentException>(() => model.Forward([indices]));
        Assert.Contains($"index {bad}", error.Message);
        Assert.Contains("input_dim 10", error.Message);
        Assert.Contains("Layer 'layer'", error.Message);
    }

    [Fact]
    public void Keras2InputLengthMustMatchTheInput()
    {
        Assert.NotNull(Graph("""{"input_dim": 10, "output_dim": 2, "input_length": 7}""", 7));
        Assert.NotNull(Graph("""{"input_dim": 10, "output_dim": 2, "input_length": null}""", null));
        Assert.Contains("input_length 8", LayerGraphs.Error("Embedding", """{"input_dim": 10, "output_dim": 2, "input_length": 8}""", [7], "/nodes/0/inputs"));
        Assert.Contains("(None, None)", LayerGraphs.Error("Embedding", """{"input_dim": 10, "output_dim": 2, "input_length": 8}""", [null], "/nodes/0/inputs"));
    }

    [Theory]
    [InlineData("""{"input_dim": 10, "output_dim": 2, "mask_zero": true}""", "/nodes/0/config/mask_zero", "masking is not implemented")]
    [InlineData("""{"output_dim": 2}""", "/nodes/0/config/input_dim", "required")]
    [InlineData("""{"input_dim": 10, "output_dim": 0}""", "/nodes/0/config/output_dim", "at least 1")]
    [InlineData("""{"input_dim": 10, "output_dim": 2, "input_length": "x"}""", "/nodes/0/config/input_length", "positive integer")]
    public void InvalidConfigsPointAtTheCause(string config, string pointer, string text)
    {
        Assert.Contains(text, LayerGraphs.Error("Embedding", config, [4], pointer));
    }
}
