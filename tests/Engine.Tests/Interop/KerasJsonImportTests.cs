using TrainService.Engine.Interop;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Tests.Interop;

/// <summary>
/// Keras 2 and Keras 3 configs written by hand from the documented formats
/// (../shared/reference/keras-semantics.md §1), for what TensorFlow.js cannot write: Keras 3's
/// __keras_tensor__ calls, dict inputs and outputs, nested models' node numbering in both
/// versions, Sequential inside Functional, GRU reset_after, initializer/regularizer/constraint
/// objects, dtype policies, initial states passed as call arguments.
/// </summary>
public class KerasJsonImportTests
{
    static ImportedModel Import(string file) => KerasImporter.Import(File.ReadAllBytes(InteropFixtures.PathOf(file)));

    [Fact]
    public void Keras3ConfigImports()
    {
        var model = Import("keras3_siamese.json");
        Assert.Equal(KerasDialect.Keras3, model.Dialect);
        Assert.Equal(KerasFileFormat.KerasJson, model.Format);
        Assert.Null(model.Weights);
        var spec = model.Spec;
        Assert.Equal("siamese", spec.Name);
        // Dicts are flattened in sorted key order, as Keras 3's tree.flatten does.
        Assert.Equal(["left", "right", "tokens"], spec.Inputs.Select(i => i.Name));
        Assert.Equal(Engine.Graph.DType.Int32, spec.Inputs[2].DType);
        Assert.Equal(["mixed", "encoder_1:1", "head"], spec.Outputs);
        var nodes = spec.Nodes.ToDictionary(n => n.Name);
        // keras_history counts a nested model's calls from 0 in inbound nodes, from 1 in output_layers.
        Assert.Equal("encoder", nodes["encoder_1"].Share);
        Assert.Equal(["right"], nodes["encoder_1"].Inputs);
        Assert.Equal(["encoder", "encoder_1"], nodes["codes"].Inputs);
        Assert.Equal(["gru", "lstm_next", "encoder_1"], nodes["mixed"].Inputs);
        // initial_state in kwargs becomes the LSTM's extra inputs, tensor indices ":k".
        Assert.Equal(["lstm_hard", "lstm_hard:1", "lstm_hard:2"], nodes["lstm_next"].Inputs);
        // Keras 3's hard_sigmoid is the engine's hard_sigmoid.
        Assert.Equal("hard_sigmoid", nodes["lstm_hard"].Config!["recurrent_activation"]!.GetValue<string>());
        Assert.Equal("Model", nodes["head"].Type);
        Assert.Equal("head_input", nodes["head"].Config!["graph"]!["inputs"]![0]!["name"]!.GetValue<string>());

        // Keras's counts: encoder 23, head 19, embed 30, GRU (reset_after) 42, LSTMs 48 + 40.
        Assert.Equal(202, model.Graph.TotalParams);
        Assert.Equal(42, model.Graph.FindLayer("gru")!.Params);
    }

    [Fact]
    public void Keras2ConfigImports()
    {
        var model = Import("keras2_twin.json");
        Assert.Equal(KerasDialect.Keras2, model.Dialect);
        var spec = model.Spec;
        Assert.Equal(["x1", "x2", "seq", "h0"], spec.Inputs.Select(i => i.Name));
        // Keras 2 numbers a nested model's calls from 1 everywhere.
        Assert.Equal(["both", "gru", "bi", "flat", "tower_1"], spec.Outputs);
        var nodes = spec.Nodes.ToDictionary(n => n.Name);
        Assert.Equal(["x1"], nodes["tower"].Inputs);
        Assert.Equal(["tower", "tower_1"], nodes["diff"].Inputs);
        Assert.Equal(["shared", "shared_1", "stack"], nodes["both"].Inputs);
        Assert.Equal("shared", nodes["shared_1"].Share);
        Assert.Equal(["seq", "h0"], nodes["gru"].Inputs);
        // hard_sigmoid in a Keras 2 file is clip(0.2x + 0.5, 0, 1): the engine's hard_sigmoid_keras2.
        Assert.Equal("hard_sigmoid_keras2", nodes["gru"].Config!["recurrent_activation"]!.GetValue<string>());
        Assert.Equal("hard_sigmoid_keras2", nodes["td"].Config!["layer"]!["config"]!["activation"]!.GetValue<string>());
        var tower = nodes["tower"].Config!["graph"]!["nodes"]![0]!["config"]!;
        Assert.Equal("hard_sigmoid_keras2", tower["activation"]!.GetValue<string>());
        // The Sequential's input comes from its first layer's batch_input_shape, named as Keras 2 names it.
        var stack = nodes["stack"].Config!["graph"]!;
        Assert.Equal("stack_dense_input", stack["inputs"]![0]!["name"]!.GetValue<string>());
        Assert.Null(stack["nodes"]![0]!["config"]!["batch_input_shape"]);

        // tower 24, stack 15 + BatchNormalization 12 (6 moving statistics), shared 10, GRU without reset_after 36, Bidirectional SimpleRNN 24, TimeDistributed 8.
        Assert.Equal(129, model.Graph.TotalParams);
        Assert.Equal(6, model.Graph.NonTrainableParams);
        Assert.Equal(36, model.Graph.FindLayer("gru")!.Params);
        Assert.True(Activation.TryGet("hard_sigmoid_keras2", out _));
    }

    [Fact]
    public void TensorFlowJsTopologyWithoutWeightsImportsAsItsJson()
    {
        var (file, _) = InteropFixtures.TfjsFiles("tfjs_nested_multi_output");
        var topology = System.Text.Json.Nodes.JsonNode.Parse(file)!["modelTopology"]!.ToJsonString();
        var model = KerasImporter.Import(System.Text.Encoding.UTF8.GetBytes(topology));
        Assert.Equal(KerasDialect.TensorFlowJs, model.Dialect);
        Assert.Null(model.Weights);
        Assert.Equal(["out", "pair:1"], model.Spec.Outputs);
        Assert.Equal("pair", model.Spec.Nodes.Single(n => n.Name == "pair_1").Share);
    }
}
