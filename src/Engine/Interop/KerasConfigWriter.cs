using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Models;
using TrainService.Engine.Layers.Recurrent;

namespace TrainService.Engine.Interop;

/// <summary>
/// Writes a validated graph as a Keras model config: Keras 2 / TensorFlow.js's form (class_name
/// "Model", inbound nodes as [layer, node, tensor, {}]) or Keras 3's (.keras config.json, inbound
/// nodes as {args, kwargs} of __keras_tensor__s). Defaults that differ between our Keras 3 configs
/// and the target are written out; what the target cannot express is an <see cref="KerasExportException"/>.
/// </summary>
public static class KerasConfigWriter
{
    public static JsonObject Write(ModelGraph graph, KerasDialect dialect)
    {
        var problems = new List<string>();
        var model = Model(graph, graph.Name, dialect, problems);
        if (problems.Count > 0) throw new KerasExportException(dialect, problems);
        if (dialect == KerasDialect.Keras3) return model;
        model["keras_version"] = dialect == KerasDialect.TensorFlowJs ? "tfjs-layers 4.22.0" : "2.15.0";
        model["backend"] = dialect == KerasDialect.TensorFlowJs ? "tensor_flow.js" : "tensorflow";
        return model;
    }

    static JsonObject Model(ModelGraph graph, string name, KerasDialect dialect, List<string> problems)
    {
        var layers = new JsonArray();
        foreach (var entry in graph.Entries)
        {
            if (entry.Input is { } input)
            {
                var shape = new JsonArray([null, .. input.Spec.Shape.Select(d => d is null ? null : (JsonNode)d.Value)]);
                var config = new JsonObject
                {
                    [dialect == KerasDialect.Keras3 ? "batch_shape" : "batch_input_shape"] = shape,
                    ["dtype"] = input.Spec.DType.KerasName(),
                    ["sparse"] = false,
                    ["name"] = input.Name,
                };
                if (dialect == KerasDialect.Keras3) config["ragged"] = false;
                layers.Add(Entry("InputLayer", config, input.Name, new JsonArray(), dialect));
                continue;
            }
            var layer = entry.Layer!;
            var calls = new JsonArray(layer.Calls.Select(call => (JsonNode)Call(call, dialect)).ToArray());
            if (layer.Layer is NestedModelLayer { Inner: { } inner } nested)
            {
                var innerModel = Model(inner, layer.Name, dialect, problems);
                var innerConfig = innerModel["config"]!.AsObject();
                innerConfig["trainable"] = nested.Trainable;
                layers.Add(Entry(ModelClass(dialect), innerConfig.DeepClone().AsObject(), layer.Name, calls, dialect, module: "keras.src.models.functional"));
                continue;
            }
            var layerConfig = LayerConfig(layer.Layer, layer.Layer.Config, dialect, problems);
            layers.Add(Entry(KerasWeightLayout.Keras3ClassName(layer.Layer), layerConfig, layer.Name, calls, dialect));
        }

        JsonNode Reference(GraphOutputOrInput source) => new JsonArray(source.Layer, source.Node, source.Tensor);
        var inputs = graph.Inputs.Select(i => Reference(new GraphOutputOrInput(i.Name, 0, 0))).ToList();
        var outputs = graph.Outputs.Select(o => Reference(Triple(o.Source, inOutputList: true, dialect))).ToList();
        var modelConfig = new JsonObject
        {
            ["name"] = name,
            ["trainable"] = true,
            ["layers"] = layers,
            // Keras 3 writes a lone input or output as a bare triple, Keras 2 always as a list.
            ["input_layers"] = dialect == KerasDialect.Keras3 && inputs.Count == 1 ? inputs[0] : new JsonArray(inputs.ToArray()),
            ["output_layers"] = dialect == KerasDialect.Keras3 && outputs.Count == 1 ? outputs[0] : new JsonArray(outputs.ToArray()),
        };
        return dialect == KerasDialect.Keras3
            ? new JsonObject
            {
                ["module"] = "keras.src.models.functional",
                ["class_name"] = "Functional",
                ["config"] = modelConfig,
                ["registered_name"] = "Functional",
            }
            : new JsonObject { ["class_name"] = ModelClass(dialect), ["config"] = modelConfig };
    }

    static string ModelClass(KerasDialect dialect) => dialect == KerasDialect.TensorFlowJs ? "Model" : "Functional";

    static JsonObject Entry(string className, JsonObject config, string name, JsonArray inboundNodes, KerasDialect dialect, string module = "keras.layers")
    {
        if (dialect != KerasDialect.Keras3)
            return new JsonObject { ["class_name"] = className, ["config"] = config, ["name"] = name, ["inbound_nodes"] = inboundNodes };
        return new JsonObject
        {
            ["module"] = module,
            ["class_name"] = className,
            ["config"] = config,
            ["registered_name"] = module == "keras.layers" ? null : className,
            ["name"] = name,
            ["inbound_nodes"] = inboundNodes,
        };
    }

    readonly record struct GraphOutputOrInput(string Layer, int Node, int Tensor);

    /// <summary>[layer, node, tensor] of a tensor: a nested model's calls count from 1 in Keras 2 and in every output list.</summary>
    static GraphOutputOrInput Triple(TensorSource source, bool inOutputList, KerasDialect dialect)
    {
        if (source.Input is { } input) return new(input.Name, 0, 0);
        var node = source.Node!;
        var first = node.Layer.Layer is NestedModelLayer && (inOutputList || dialect != KerasDialect.Keras3) ? 1 : 0;
        return new(node.Layer.Name, node.CallIndex + first, source.OutputIndex);
    }

    static JsonNode Call(GraphNode call, KerasDialect dialect)
    {
        var triples = call.Inputs.Select(i => Triple(i, inOutputList: false, dialect)).ToList();
        if (dialect != KerasDialect.Keras3)
            return new JsonArray(triples.Select(t => (JsonNode)new JsonArray(t.Layer, t.Node, t.Tensor, new JsonObject())).ToArray());

        JsonNode Tensor(int i) => new JsonObject
        {
            ["class_name"] = "__keras_tensor__",
            ["config"] = new JsonObject
            {
                ["shape"] = new JsonArray(call.Inputs[i].Info.Shape.Dims.Select(d => d is null ? null : (JsonNode)d.Value).ToArray()),
                ["dtype"] = call.Inputs[i].Info.DType.KerasName(),
                ["keras_history"] = new JsonArray(triples[i].Layer, triples[i].Node, triples[i].Tensor),
            },
        };
        var layer = call.Layer.Layer;
        var kwargs = new JsonObject();
        JsonNode first;
        if (layer is RecurrentLayer || layer is Layers.Wrappers.BidirectionalLayer)
        {
            // A recurrent layer's further inputs are its initial states.
            first = Tensor(0);
            if (triples.Count > 1) kwargs["initial_state"] = new JsonArray(Enumerable.Range(1, triples.Count - 1).Select(Tensor).ToArray());
        }
        else if (layer.MaxInputs > 1)
            first = new JsonArray(Enumerable.Range(0, triples.Count).Select(Tensor).ToArray());
        else
            first = Tensor(0);
        return new JsonObject { ["args"] = new JsonArray(first), ["kwargs"] = kwargs };
    }

    /// <summary>A layer's config for the target: our (Keras 3) defaults written out where the target's differ.</summary>
    static JsonObject LayerConfig(Layer layer, JsonObject source, KerasDialect dialect, List<string> problems)
    {
        var config = source.DeepClone().AsObject();
        config["name"] = layer.Name;
        if (!config.ContainsKey("trainable")) config["trainable"] = layer.Trainable;
        Normalize(layer, config, dialect, problems);
        return config;
    }

    static void Normalize(Layer layer, JsonObject config, KerasDialect dialect, List<string> problems)
    {
        config.Remove("dtype");
        if (layer is RecurrentLayer recurrent)
        {
            if (recurrent.Gates > 1) config["recurrent_activation"] = recurrent.RecurrentActivation.Name;
            config["activation"] = recurrent.Activation.Name;
            if (layer is GruLayer gru)
            {
                config["reset_after"] = gru.ResetAfter;
                if (gru.ResetAfter && dialect == KerasDialect.TensorFlowJs)
                    problems.Add($"GRU '{layer.Name}' has reset_after=true (Keras 3's default), which TensorFlow.js's GRU does not implement; export it as a Keras 3 archive (format=keras) instead.");
            }
            if (layer is LstmLayer && dialect == KerasDialect.TensorFlowJs) config.Remove("implementation");
        }
        foreach (var key in new[] { "activation", "recurrent_activation" })
        {
            if (config[key] is not JsonValue v || !v.TryGetText(out var name)) continue;
            switch (name)
            {
                case "hard_sigmoid_keras2" when dialect == KerasDialect.Keras3:
                    problems.Add($"Layer '{layer.Name}' uses Keras 2's hard_sigmoid (clip(0.2x + 0.5, 0, 1)), which Keras 3 does not have (its hard_sigmoid is relu6(x + 3) / 6); export it for TensorFlow.js (format=tfjs) instead.");
                    break;
                case "hard_sigmoid_keras2":
                    config[key] = "hard_sigmoid";
                    break;
                case "hard_sigmoid" when dialect != KerasDialect.Keras3:
                    problems.Add($"Layer '{layer.Name}' uses Keras 3's hard_sigmoid (relu6(x + 3) / 6), which {dialect.Describe()}'s hard_sigmoid is not; export it as a Keras 3 archive (format=keras) instead.");
                    break;
            }
        }
        if (dialect == KerasDialect.TensorFlowJs)
        {
            if (layer.Type == "LeakyReLU" && config["negative_slope"] is { } slope)
            {
                config.Remove("negative_slope");
                config["alpha"] = slope.DeepClone();
            }
            if (config["groups"] is JsonValue g && g.TryGetValue<int>(out var groups) && groups != 1)
                problems.Add($"Layer '{layer.Name}' is a grouped convolution (groups={groups}), which TensorFlow.js does not implement.");
        }
        foreach (var key in new[] { "layer", "backward_layer" })
        {
            if (config[key] is not JsonObject wrapped) continue;
            var inner = (layer as Layers.Wrappers.BidirectionalLayer) is { } bidirectional
                ? (key == "layer" ? bidirectional.ForwardLayer : bidirectional.BackwardLayer)
                : (layer as Layers.Wrappers.TimeDistributedLayer)?.Inner;
            var className = KerasModelConverter.Text(wrapped["type"]) ?? KerasModelConverter.Text(wrapped["class_name"]) ?? inner?.Type ?? "";
            var innerConfig = (wrapped["config"] as JsonObject)?.DeepClone().AsObject() ?? [];
            if (inner is not null)
            {
                innerConfig["name"] = inner.Name;
                Normalize(inner, innerConfig, dialect, problems);
            }
            var replacement = new JsonObject { ["class_name"] = inner is null ? className : KerasWeightLayout.Keras3ClassName(inner), ["config"] = innerConfig };
            if (dialect == KerasDialect.Keras3)
            {
                replacement["module"] = "keras.layers";
                replacement["registered_name"] = null;
            }
            config[key] = replacement;
        }
    }
}

/// <summary>A model that the target format cannot express; each problem names the layer and why.</summary>
public sealed class KerasExportException(KerasDialect target, IReadOnlyList<string> problems)
    : Exception($"The model cannot be written for {target.Describe()}: " + string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
