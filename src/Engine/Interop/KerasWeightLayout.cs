using System.Reflection;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Models;
using TrainService.Engine.Layers.Recurrent;
using TrainService.Engine.Layers.Wrappers;

namespace TrainService.Engine.Interop;

/// <summary>
/// One weight of a model, with every name a Keras file may give it: our key ("encoder/dense/kernel",
/// as checkpoints and <see cref="Training.KerasModel"/> key it), TensorFlow.js's name
/// ("dense/kernel": the layer's own name, not its model's), the top-level layer whose group holds
/// it in a Keras 2 .h5, and its place in a Keras 3 weights file ("layers/functional/layers/dense/vars", 0).
/// </summary>
public sealed record WeightSlot(string Key, string LayerPath, string TopLayer, WeightSpec Spec, bool Trainable, string TfjsName, string Keras3Group, int Keras3Index)
{
    public string ShapeText => Spec.ShapeText;
}

/// <summary>Where each weight of a model goes in the Keras file formats, from the validated graph alone (no torch modules needed).</summary>
public static class KerasWeightLayout
{
    /// <summary>Every weight in Keras's get_weights order, which is <see cref="Modules.GraphModule.LeafLayers"/>'s.</summary>
    public static IReadOnlyList<WeightSlot> Of(ModelGraph graph)
    {
        var slots = new List<WeightSlot>();
        Visit(graph, "", "layers", slots, topLayer: null);
        return slots;
    }

    static void Visit(ModelGraph graph, string pathPrefix, string keras3Prefix, List<WeightSlot> slots, string? topLayer)
    {
        // Keras 3 names a model's layers in its weights file by class, counted: dense, dense_1, ...
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        string Keras3Name(string className)
        {
            var name = WrappedLayer.KerasDefaultName(className);
            if (used.TryGetValue(name, out var count))
            {
                used[name] = count + 1;
                return $"{name}_{count + 1}";
            }
            used[name] = 0;
            return name;
        }

        foreach (var entry in graph.Entries)
        {
            if (entry.Layer is null)
            {
                Keras3Name("InputLayer");
                continue;
            }
            var layer = entry.Layer.Layer;
            var path = pathPrefix + layer.Name;
            var group = $"{keras3Prefix}/{Keras3Name(Keras3ClassName(layer))}";
            if (layer is NestedModelLayer nested && nested.Inner is { } inner)
            {
                Visit(inner, path + "/", group + "/layers", slots, topLayer ?? layer.Name);
                continue;
            }
            var groups = Keras3Groups(layer, group, entry.Layer.Weights.Count);
            var indexes = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < entry.Layer.Weights.Count; i++)
            {
                var spec = entry.Layer.Weights[i];
                var index = indexes.GetValueOrDefault(groups[i]);
                indexes[groups[i]] = index + 1;
                slots.Add(new WeightSlot($"{path}/{spec.Name}", path, topLayer ?? layer.Name, spec, spec.Trainable && layer.Trainable,
                    $"{layer.Name}/{Keras2WeightName(layer, spec.Name)}", groups[i], index));
            }
        }
    }

    /// <summary>Keras 3 renamed DepthwiseConv2D's depthwise_kernel to kernel; Keras 2 and TensorFlow.js keep the old name.</summary>
    static string Keras2WeightName(Layer layer, string name) =>
        Keras3ClassName(layer) == "DepthwiseConv2D" && name == "kernel" ? "depthwise_kernel" : name;

    /// <summary>The Keras class a layer is (the registered name, not an alias such as Convolution2D).</summary>
    public static string Keras3ClassName(Layer layer) =>
        layer is NestedModelLayer ? "Functional" : layer.GetType().GetCustomAttribute<LayerTypeAttribute>()?.Name ?? layer.Type;

    /// <summary>
    /// The Keras 3 group of each weight of a layer: a recurrent layer keeps them in its cell,
    /// Bidirectional in forward_layer/cell and backward_layer/cell, TimeDistributed in layer.
    /// </summary>
    static string[] Keras3Groups(Layer layer, string group, int count)
    {
        switch (layer)
        {
            case RecurrentLayer:
                return Enumerable.Repeat(group + "/cell", count).ToArray();
            case BidirectionalLayer:
                var half = count / 2;
                return [.. Enumerable.Repeat(group + "/forward_layer/cell", half), .. Enumerable.Repeat(group + "/backward_layer/cell", count - half)];
            case TimeDistributedLayer { Inner: { } inner }:
                return Keras3Groups(inner, group + "/layer", count);
            default:
                return Enumerable.Repeat(group, count).ToArray();
        }
    }

    /// <summary>TensorFlow.js's order (its model.weights): every trainable weight, then every other one.</summary>
    public static IEnumerable<WeightSlot> TfjsOrder(IReadOnlyList<WeightSlot> slots) =>
        slots.Where(s => s.Trainable).Concat(slots.Where(s => !s.Trainable));

    /// <summary>Keras 2's .h5 groups: per top-level layer, its trainable weights, then the others.</summary>
    public static IEnumerable<(string Layer, IReadOnlyList<WeightSlot> Weights)> H5Groups(IReadOnlyList<WeightSlot> slots) =>
        slots.GroupBy(s => s.TopLayer).Select(g => (g.Key, (IReadOnlyList<WeightSlot>)g.OrderBy(s => s.Trainable ? 0 : 1).ToList()));
}
