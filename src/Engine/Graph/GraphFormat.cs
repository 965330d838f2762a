using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Engine.Layers;

namespace TrainService.Engine.Graph;

/// <summary>
/// The graph wire format's JSON Schema (draft 2020-12), for clients and for the API to serve.
/// docs/graph-format.md describes the format; the schema checks its structure, the engine the rest.
/// </summary>
public static class GraphFormat
{
    public const string SchemaMediaType = "application/schema+json";

    const string ResourceName = "TrainService.Engine.Graph.GraphFormat.schema.json";

    static readonly Lazy<string> schemaJson = new(BuildSchema);

    /// <summary>The schema as indented JSON text, its layer types those of <see cref="LayerRegistry"/>.</summary>
    public static string SchemaJson => schemaJson.Value;

    /// <summary>A fresh copy of the schema to read or extend.</summary>
    public static JsonObject Schema() => JsonNode.Parse(SchemaJson)!.AsObject();

    static string BuildSchema()
    {
        using var stream = typeof(GraphFormat).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The engine assembly lacks its resource {ResourceName}.");
        var schema = JsonNode.Parse(stream)!.AsObject();
        var definitions = schema["$defs"]!;
        // Generated, not written: the schema can then never disagree with the engine on these.
        definitions["layerType"]!["enum"] = new JsonArray(LayerRegistry.Names.Select(n => (JsonNode)JsonValue.Create(n)).ToArray());
        definitions["graph"]!["properties"]!["nodes"]!["maxItems"] = GraphLimits.Default.MaxNodes;
        return schema.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
