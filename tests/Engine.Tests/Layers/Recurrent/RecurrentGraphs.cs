using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Layers.Recurrent;

/// <summary>Small graphs of one recurrent layer, and helpers to run them.</summary>
static class RecurrentGraphs
{
    /// <summary>A graph x (time, features) → one node of the given type and config; outputs every output of the node.</summary>
    public static ModelGraph Single(string type, string config, int? time, int features, int outputs = 1, string? extraInputs = null)
    {
        var timeText = time?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null";
        var outputList = string.Join(", ", Enumerable.Range(0, outputs).Select(k => k == 0 ? "\"rnn\"" : $"\"rnn:{k}\""));
        var inputs = extraInputs is null ? "" : ", " + extraInputs;
        var stateNames = extraInputs is null ? "" : string.Concat(JsonNode.Parse($"[{extraInputs}]")!.AsArray().Select(i => $", \"{i!["name"]}\""));
        return GraphBuilder.Build($$"""
        { "inputs": [{"name": "x", "shape": [{{timeText}}, {{features}}]}{{inputs}}],
          "nodes": [{"name": "rnn", "type": "{{type}}", "config": {{config}}, "inputs": ["x"{{stateNames}}]}],
          "outputs": [{{outputList}}] }
        """);
    }

    public static Tensor Random(long seed, params long[] shape)
    {
        using var generator = new Generator((ulong)seed);
        return rand(shape, generator: generator) * 2 - 1;
    }

    /// <summary>Copies every weight of one model into another built from an equal graph.</summary>
    public static void CopyWeights(GraphModule from, GraphModule to)
    {
        Assert.Equal(from.Weights.Count, to.Weights.Count);
        for (int i = 0; i < from.Weights.Count; i++)
        {
            using var value = from.Weights[i].Read();
            to.Weights[i].Write(value);
        }
    }

    public static double MaxDifference(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        return (a - b).abs().max().item<float>();
    }
}
