using System.Text.Json.Nodes;

namespace TrainService.Engine.Graph;

/// <summary>
/// A graph as the client wrote it (the wire format of docs/graph-format.md), before validation.
/// Configs stay JSON so that the spec round-trips exactly into checkpoints and responses.
/// </summary>
public sealed record GraphSpec(
    string Name,
    IReadOnlyList<InputSpec> Inputs,
    IReadOnlyList<NodeSpec> Nodes,
    IReadOnlyList<string> Outputs)
{
    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["inputs"] = new JsonArray(Inputs.Select(i => (JsonNode)i.ToJson()).ToArray()),
        ["nodes"] = new JsonArray(Nodes.Select(n => (JsonNode)n.ToJson()).ToArray()),
        ["outputs"] = new JsonArray(Outputs.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
    };

    public override string ToString() => ToJson().ToJsonString();
}

/// <summary>A graph input: keras.Input(shape=..., dtype=..., name=...). The shape excludes the batch axis.</summary>
public sealed record InputSpec(string Name, IReadOnlyList<int?> Shape, DType DType = DType.Float32)
{
    public Shape BatchShape => Graph.Shape.OfSample(Shape);

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["shape"] = new JsonArray(Shape.Select(d => d is null ? null : (JsonNode)JsonValue.Create(d.Value)).ToArray()),
        ["dtype"] = DType.KerasName(),
    };
}

/// <summary>
/// One call of a layer. Either <see cref="Type"/> and <see cref="Config"/> define a new layer, or
/// <see cref="Share"/> names the node whose layer (and weights) this node calls again.
/// </summary>
public sealed record NodeSpec(string Name, string? Type, JsonObject? Config, IReadOnlyList<string> Inputs, string? Share = null)
{
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["name"] = Name };
        if (Share is not null) json["share"] = Share;
        if (Type is not null) json["type"] = Type;
        if (Config is not null) json["config"] = Config.DeepClone();
        json["inputs"] = new JsonArray(Inputs.Select(i => (JsonNode)JsonValue.Create(i)!).ToArray());
        return json;
    }
}
