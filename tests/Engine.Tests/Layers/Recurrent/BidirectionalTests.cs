using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using TrainService.Engine.Summary;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

public class BidirectionalTests
{
    [Fact]
    public void KerasThreeConfigWithItsBackwardLayerIsAccepted()
    {
        // keras.layers.Bidirectional(LSTM(4)).get_config() in Keras 3: both layers serialised in full.
        var graph = RecurrentGraphs.Single("Bidirectional", """
        {"name": "rnn", "trainable": true, "dtype": "float32", "merge_mode": "concat",
         "layer": {"module": "keras.layers", "class_name": "LSTM", "registered_name": null, "build_config": {"input_shape": [null, 5, 3]},
                   "config": {"name": "forward_lstm", "units": 4, "go_backwards": false, "seed": null, "use_cudnn": "auto"}},
         "backward_layer": {"module": "keras.layers", "class_name": "LSTM", "registered_name": null, "build_config": {"input_shape": [null, 5, 3]},
                   "config": {"name": "backward_lstm", "units": 4, "go_backwards": true, "seed": null}}}
        """, 5, 3);
        Assert.Equal(2 * 4 * (4 * (3 + 4) + 4), graph.TotalParams);
        using var model = GraphModule.Create(graph);
        Assert.Equal(["forward_lstm/kernel", "forward_lstm/recurrent_kernel", "forward_lstm/bias", "backward_lstm/kernel", "backward_lstm/recurrent_kernel", "backward_lstm/bias"],
            model.Weights.Select(w => w.Name));
    }

    [Fact]
    public void EachDirectionEqualsItsOwnLayerWithItsInitialStates()
    {
        var states = string.Join(", ", new[] { "hf", "cf", "hb", "cb" }.Select(n => $"{{\"name\": \"{n}\", \"shape\": [3]}}"));
        var graph = GraphBuilder.Build($$$"""
        { "inputs": [{"name": "x", "shape": [6, 2]}, {{{states}}}],
          "nodes": [
            {"name": "bi", "type": "Bidirectional", "config": {"layer": {"type": "LSTM", "config": {"units": 3, "return_sequences": true, "return_state": true}}, "merge_mode": null},
             "inputs": ["x", "hf", "cf", "hb", "cb"]},
            {"name": "fw", "type": "LSTM", "config": {"units": 3, "return_sequences": true}, "inputs": ["x", "hf", "cf"]},
            {"name": "bw", "type": "LSTM", "config": {"units": 3, "return_sequences": true, "go_backwards": true}, "inputs": ["x", "hb", "cb"]} ],
          "outputs": ["bi", "bi:1", "bi:2", "bi:3", "bi:4", "bi:5", "fw", "bw"] }
        """);
        Assert.Equal(["(None, 6, 3)", "(None, 6, 3)", "(None, 3)", "(None, 3)", "(None, 3)", "(None, 3)"], graph.Outputs.Take(6).Select(o => o.Info.Shape.ToString()));
        using var model = GraphModule.Create(graph);
        var layers = model.Layers.ToDictionary(l => l.Layer.Name, l => l.Module);
        for (int i = 0; i < 3; i++)
        {
            using var forward = layers["bi"].Weights[i].Read();
            using var backward = layers["bi"].Weights[3 + i].Read();
            layers["fw"].Weights[i].Write(forward);
            layers["bw"].Weights[i].Write(backward);
        }
        using var x = RecurrentGraphs.Random(1, 2, 6, 2);
        var initial = Enumerable.Range(0, 4).Select(i => RecurrentGraphs.Random(10 + i, 2, 3)).ToArray();
        using var _ = no_grad();
        var outputs = model.Forward([x, .. initial]);
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[0], outputs[6]));
        // The backward layer's sequence comes back in time order.
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[1], outputs[7].flip(1)));
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[2], outputs[6][.., -1]));
        Assert.Equal(0, RecurrentGraphs.MaxDifference(outputs[4], outputs[7][.., -1]));
    }

    [Fact]
    public void SummaryShowsTheWrapperWithItsInnerParams()
    {
        var graph = RecurrentGraphs.Single("Bidirectional", """{"layer": {"type": "LSTM", "config": {"units": 256}}}""", null, 128);
        var summary = ModelSummary.Of(graph);
        Assert.Contains(summary.Layers, l => l.Name == "rnn" && l.Type == "Bidirectional" && l.Params == 788_480);
        Assert.Contains("Total params: 788,480", summary.Text);
    }
}
