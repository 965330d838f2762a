using TrainService.Engine.Graph;

namespace TrainService.Engine.Tests.Layers.Recurrent;

public class RecurrentValidationTests
{
    static IReadOnlyList<GraphDiagnostic> Errors(string type, string config, string shape = "[5, 3]", string extraInputs = "", string nodeInputs = "\"x\"") =>
        Assert.Throws<GraphValidationException>(() => GraphBuilder.Build($$"""
        { "inputs": [{"name": "x", "shape": {{shape}}}{{extraInputs}}],
          "nodes": [{"name": "rnn", "type": "{{type}}", "config": {{config}}, "inputs": [{{nodeInputs}}]}],
          "outputs": ["rnn"] }
        """)).Errors;

    [Fact]
    public void MissingUnitsAndBadValuesPointAtTheirKeys()
    {
        var errors = Errors("LSTM", """{"recurrent_activation": "hard_sigmod", "dropout": 1.5, "implementation": 3, "colour": 1}""");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/units" && e.Message.Contains("required"));
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/recurrent_activation" && e.Message.Contains("hard_sigmoid_keras2"));
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/dropout");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/implementation");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/colour" && e.Message.Contains("unit_forget_bias"));
    }

    [Theory]
    [InlineData("{\"units\": 4, \"stateful\": true}", "stateful", "initial state")]
    [InlineData("{\"units\": 4, \"time_major\": true}", "time_major", "(batch, time, features)")]
    [InlineData("{\"units\": 4, \"dropout\": 1}", "dropout", "below 1")]
    [InlineData("{\"units\": 4, \"use_cudnn\": \"always\"}", "use_cudnn", "\"auto\"")]
    [InlineData("{\"units\": 4, \"activity_regularizer\": \"l2\"}", "activity_regularizer", "not implemented")]
    public void UnsupportedValuesSayWhy(string config, string key, string why)
    {
        var error = Assert.Single(Errors("GRU", config));
        Assert.Equal($"/nodes/0/config/{key}", error.Pointer);
        Assert.Contains(why, error.Message);
    }

    [Fact]
    public void KerasConfigsOfBothVersionsAreAccepted()
    {
        // A Keras 2 (tf.keras 2.x) LSTM config and a Keras 3 GRU config, as get_config writes them.
        var keras2 = """
        {"name": "rnn", "trainable": true, "dtype": "float32", "return_sequences": false, "return_state": false, "go_backwards": false,
         "stateful": false, "unroll": false, "time_major": false, "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid",
         "use_bias": true, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": null}},
         "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}},
         "bias_initializer": {"class_name": "Zeros", "config": {}}, "unit_forget_bias": true, "kernel_regularizer": null,
         "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
         "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2}
        """;
        Assert.Equal(4 * (4 * (3 + 4) + 4), RecurrentGraphs.Single("LSTM", keras2, 5, 3).TotalParams);
        var keras3 = """
        {"name": "rnn", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
         "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "zero_output_for_mask": true,
         "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true,
         "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
         "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
         "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
         "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
         "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0,
         "reset_after": true, "seed": null, "use_cudnn": "auto"}
        """;
        Assert.Equal(3 * (4 * (3 + 4) + 2 * 4), RecurrentGraphs.Single("GRU", keras3, 5, 3).TotalParams);
    }

    [Theory]
    [InlineData("LSTM", "[3]", "(batch, timesteps, features)")]
    [InlineData("LSTM", "[5, 3, 2]", "(batch, timesteps, features)")]
    [InlineData("SimpleRNN", "[5, null]", "features axis")]
    public void InputsMustBeSequencesWithKnownFeatures(string type, string shape, string message)
    {
        var error = Assert.Single(Errors(type, "{\"units\": 2}", shape));
        Assert.Equal("/nodes/0/inputs", error.Pointer);
        Assert.Contains(message, error.Message);
        Assert.Contains("rnn", error.Message);
    }

    [Fact]
    public void InitialStatesMustBeAllStatesOfUnitsWidth()
    {
        var one = Errors("LSTM", "{\"units\": 4}", extraInputs: ", {\"name\": \"h\", \"shape\": [4]}", nodeInputs: "\"x\", \"h\"");
        Assert.Contains(one, e => e.Message.Contains("2 initial states (h, c)"));
        var wide = Errors("GRU", "{\"units\": 4}", extraInputs: ", {\"name\": \"h\", \"shape\": [5]}", nodeInputs: "\"x\", \"h\"");
        Assert.Contains(wide, e => e.Message.Contains("(batch, 4)") && e.Message.Contains("(None, 5)"));
    }

    [Fact]
    public void WrappedLayerErrorsPointIntoTheWrappedConfig()
    {
        var errors = Errors("Bidirectional", """{"layer": {"type": "LSTM", "config": {"unitz": 4}}, "merge_mode": "max"}""");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/layer/config/units");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/layer/config/unitz");
        Assert.Contains(errors, e => e.Pointer == "/nodes/0/config/merge_mode" && e.Message.Contains("'concat'"));

        var typo = Errors("TimeDistributed", """{"layer": {"type": "Dence", "config": {"units": 4}}}""");
        Assert.Contains(typo, e => e.Pointer == "/nodes/0/config/layer/type" && e.Message.Contains("Did you mean 'Dense'"));

        var inner = Errors("TimeDistributed", """{"layer": {"type": "Dense", "config": {"units": 0}}}""");
        Assert.Contains(inner, e => e.Pointer == "/nodes/0/config/layer/config/units");
    }

    [Fact]
    public void BidirectionalWrapsOnlyRecurrentLayersThatAgree()
    {
        var dense = Assert.Single(Errors("Bidirectional", """{"layer": {"type": "Dense", "config": {"units": 4}}, "backward_layer": null}"""));
        Assert.Equal("/nodes/0/config/layer", dense.Pointer);
        Assert.Contains("not Dense", dense.Message);

        var same = Errors("Bidirectional", """
            {"layer": {"type": "LSTM", "config": {"units": 4}},
             "backward_layer": {"type": "GRU", "config": {"units": 4, "return_sequences": true}}}
            """);
        Assert.Contains(same, e => e.Pointer == "/nodes/0/config/backward_layer" && e.Message.Contains("go_backwards"));
        Assert.Contains(same, e => e.Pointer == "/nodes/0/config/backward_layer" && e.Message.Contains("return_sequences"));

        var sum = Assert.Single(Errors("Bidirectional", """
            {"layer": {"type": "LSTM", "config": {"units": 4}}, "merge_mode": "sum",
             "backward_layer": {"type": "GRU", "config": {"units": 3, "go_backwards": true}}}
            """));
        Assert.Contains("(None, 4) and (None, 3)", sum.Message);
    }

    [Fact]
    public void TimeDistributedNeedsATimeAxis()
    {
        var error = Assert.Single(Errors("TimeDistributed", """{"layer": {"type": "Dense", "config": {"units": 4}}}""", "[3]"));
        Assert.Contains("rank 3 or more", error.Message);
    }
}
