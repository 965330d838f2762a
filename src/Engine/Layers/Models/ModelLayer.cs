using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers.Models;

/// <summary>
/// A model used as a layer, written inline: <c>{"type": "Model", "config": {"graph": {...}}}</c>
/// where graph is a whole graph in this format. "Functional" (Keras's class name) is an alias.
/// </summary>
[LayerType("Model", "Functional")]
public sealed class ModelLayer : NestedModelLayer
{
    protected override string GraphPointer(LayerConfig config) => config.PointerOf("graph");

    protected override GraphSpec? DefineGraph(LayerConfig config)
    {
        var json = config.Raw("graph");
        if (json is null)
        {
            config.Error("graph", "'graph' is required: the inner model, a whole graph {name, inputs, nodes, outputs} in this format.");
            return null;
        }
        var spec = GraphSpecParser.Parse(json, config.Diagnostics, GraphPointer(config));
        // In Keras a model called as a layer is named by its own name; here the node names it, so a
        // second, different name would be one of the two silently ignored.
        if (spec is not null && json["name"] is JsonNode && spec.Name != Name)
            config.Diagnostics.Error(JsonPointer.Append(GraphPointer(config), "name"),
                $"The inner model is named '{spec.Name}' but its node '{Name}': the node's name is the model's name; leave graph.name out or make them equal.", Name);
        return spec;
    }
}
