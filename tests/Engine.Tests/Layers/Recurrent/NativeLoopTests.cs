using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

public class NativeLoopTests
{
    [Theory]
    [InlineData("LSTM")]
    [InlineData("GRU")]
    [InlineData("SimpleRNN")]
    public void NativeAndLoopAgree(string type)
    {
        // A recurrent dropout this small keeps every unit and scales by 1 in float32, but makes training run the step loop.
        var native = RecurrentGraphs.Single(type, """{"units": 3, "return_sequences": true}""", 4, 2);
        var loop = RecurrentGraphs.Single(type, """{"units": 3, "return_sequences": true, "recurrent_dropout": 1e-12}""", 4, 2);
        using var a = GraphModule.Create(native, seed: 3);
        using var b = GraphModule.Create(loop, seed: 3);
        a.eval();
        b.train();
        using var x = RecurrentGraphs.Random(5, 2, 4, 2);
        using var _ = no_grad();
        var diff = RecurrentGraphs.MaxDifference(a.Forward([x])[0], b.Forward([x])[0]);
        Assert.True(diff < 1e-6, $"native and loop differ by {diff}");
    }
}
