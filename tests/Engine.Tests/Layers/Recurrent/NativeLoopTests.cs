using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

/// <summary>torch's native modules and the step loop compute the same layer.</summary>
public class NativeLoopTests
{
    // A recurrent dropout this small keeps every unit and scales by exactly 1 in float32, but
    // makes training run the step loop with per-gate masks.
    const string ForceLoop = ", \"recurrent_dropout\": 1e-12";

    [Theory]
    [InlineData("LSTM", "\"units\": 3, \"return_sequences\": true")]
    [InlineData("LSTM", "\"units\": 3, \"go_backwards\": true, \"use_bias\": false")]
    [InlineData("GRU", "\"units\": 3, \"return_sequences\": true")]
    [InlineData("GRU", "\"units\": 3, \"go_backwards\": true")]
    [InlineData("SimpleRNN", "\"units\": 3, \"return_sequences\": true")]
    [InlineData("SimpleRNN", "\"units\": 3, \"activation\": \"relu\", \"go_backwards\": true")]
    public void NativeAndLoopAgree(string type, string config)
    {
        var native = RecurrentGraphs.Single(type, "{" + config + "}", 4, 2);
        var loop = RecurrentGraphs.Single(type, "{" + config + ForceLoop + "}", 4, 2);
        using var a = GraphModule.Create(native, seed: 3);
        using var b = GraphModule.Create(loop, seed: 3);
        a.eval();
        b.train();
        using var x = RecurrentGraphs.Random(5, 2, 4, 2);
        using var _ = no_grad();
        var diff = RecurrentGraphs.MaxDifference(a.Forward([x])[0], b.Forward([x])[0]);
        Assert.True(diff < 1e-6, $"native and loop differ by {diff}");
    }

    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("SimpleRNN")]
    public void NativeAndLoopGradientsAgree(string type)
    {
        // Training runs torch's native module (on the CPU, oneDNN's LSTM); the loop's gradients come from plain autograd.
        const string config = "\"units\": 4, \"return_sequences\": true";
        using var native = GraphModule.Create(RecurrentGraphs.Single(type, "{" + config + "}", 5, 3), seed: 4);
        using var loop = GraphModule.Create(RecurrentGraphs.Single(type, "{" + config + ForceLoop + "}", 5, 3), seed: 4);
        using var x = RecurrentGraphs.Random(7, 3, 5, 3);
        foreach (var model in new[] { native, loop })
        {
            model.train();
            model.Forward([x])[0].sin().sum().backward();
        }
        var loopGradients = loop.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        foreach (var (name, parameter) in native.named_parameters().Where(p => p.parameter.requires_grad))
        {
            var diff = RecurrentGraphs.MaxDifference(parameter.grad!, loopGradients[name]!);
            Assert.True(diff < 1e-5, $"gradient of {name} differs by {diff}");
        }
    }

    [Theory]
    [InlineData("LSTM", 2)]
    [InlineData("GRU", 1)]
    public void InitialStatesReachBothPaths(string type, int states)
    {
        var stateInputs = string.Join(", ", Enumerable.Range(0, states).Select(i => $"{{\"name\": \"s{i}\", \"shape\": [3]}}"));
        ModelGraph Graph(string extra) => RecurrentGraphs.Single(type, "{\"units\": 3, \"return_state\": true" + extra + "}", 4, 2, outputs: 1 + states, extraInputs: stateInputs);
        using var a = GraphModule.Create(Graph(""), seed: 8);
        using var b = GraphModule.Create(Graph(ForceLoop), seed: 8);
        using var zero = GraphModule.Create(Graph(""), seed: 8);
        a.eval();
        b.train();
        using var x = RecurrentGraphs.Random(1, 2, 4, 2);
        var initial = Enumerable.Range(0, states).Select(i => RecurrentGraphs.Random(20 + i, 2, 3)).ToArray();
        using var _ = no_grad();
        var native = a.Forward([x, .. initial]);
        var loop = b.Forward([x, .. initial]);
        for (int i = 0; i < native.Count; i++)
            Assert.True(RecurrentGraphs.MaxDifference(native[i], loop[i]) < 1e-6);
        var fromZero = zero.Forward([x, .. initial.Select(t => zeros_like(t))]);
        Assert.True(RecurrentGraphs.MaxDifference(native[0], fromZero[0]) > 1e-3, "the initial state changes the output");
    }

    [Theory]
    [InlineData(8, 16)]
    [InlineData(3, 4)]
    [InlineData(64, 100)]
    public void LstmInferenceEqualsTrainingForward(int features, int units)
    {
        // libtorch's oneDNN inference kernel for LSTM is wrong on some CPUs; inference must not use it.
        var graph = RecurrentGraphs.Single("LSTM", $"{{\"units\": {units}, \"return_sequences\": true}}", 7, features);
        using var model = GraphModule.Create(graph, seed: 6);
        model.eval();
        using var x = RecurrentGraphs.Random(9, 4, 7, features);
        var training = model.Forward([x])[0].detach();
        Tensor inference;
        using (no_grad()) inference = model.Forward([x])[0];
        Assert.False(inference.requires_grad);
        Assert.True(RecurrentGraphs.MaxDifference(training, inference) < 1e-6);
    }
}
