using System.ComponentModel;
using System.Text.Json.Nodes;
using TrainService.Engine.Summary;
using TrainService.Jobs.Data;

namespace TrainService.Api.Graphs;

/// <summary>The graph wire format (docs/graph-format.md), for the OpenAPI document; handlers read the JSON tree itself to report every problem by pointer.</summary>
[Description("A Keras-style functional graph: inputs, layer calls (nodes) and outputs.")]
public sealed record GraphDocument(
    [property: Description("Model name (letters, digits, '_', '.', '-').")] string? Name,
    IReadOnlyList<GraphInputDocument> Inputs,
    IReadOnlyList<GraphNodeDocument> Nodes,
    [property: Description("Names of the nodes (or \"node:k\") whose outputs are the model's outputs.")] IReadOnlyList<string> Outputs);

[Description("keras.Input(shape=..., dtype=..., name=...): the shape excludes the batch axis; null is a free size.")]
public sealed record GraphInputDocument(string Name, IReadOnlyList<int?> Shape, [property: Description("float32 (default), int32 or int64.")] string? Dtype);

[Description("One layer call: a new layer (type + config, Keras's get_config keys) or another call of the layer of node 'share'.")]
public sealed record GraphNodeDocument(string Name, string? Type, JsonObject? Config, IReadOnlyList<string> Inputs, string? Share);

public sealed record GraphCreated(Guid Id, string Name, ModelSummary Summary);

public sealed record GraphListItem(Guid Id, string Name, long TotalParams, DateTime CreatedAt);

public sealed record GraphDetails(Guid Id, string Name, JsonNode Graph, ModelSummary Summary, DateTime CreatedAt);

public static class GraphMapping
{
    public static GraphListItem AsListItem(this GraphRecord graph) => new(graph.Id, graph.Name, graph.TotalParams, graph.CreatedAt);
}
