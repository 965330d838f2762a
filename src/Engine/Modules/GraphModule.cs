using System.Globalization;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using static TorchSharp.torch;

namespace TrainService.Engine.Modules;

/// <summary>
/// Runs a <see cref="ModelGraph"/>: one module per layer (a shared layer is one module called by
/// several nodes), executed in the graph's cached topological order. Inputs and outputs are in
/// graph order and Keras layout.
/// </summary>
public sealed class GraphModule : LayerModule
{
    readonly Step[] steps;
    readonly int[] outputSlots;
    readonly int slotCount;
    readonly List<(LayerInstance Layer, LayerModule Module)> layers = [];

    sealed record Step(LayerModule Module, int[] InputSlots, bool[] CastToFloat, int FirstOutputSlot, int OutputCount, string Node);

    public GraphModule(ModelGraph graph, BuildContext context) : base(graph.Name, context)
    {
        Graph = graph;
        var modules = new Dictionary<LayerInstance, LayerModule>();
        for (int i = 0; i < graph.Layers.Count; i++)
        {
            var layer = graph.Layers[i];
            var module = layer.Layer.CreateModule(layer.BuildInputs!, context);
            // Torch names may not contain '.', which Keras names may; the position is unique anyway.
            register_module("layer" + i.ToString(CultureInfo.InvariantCulture), module);
            modules[layer] = module;
            layers.Add((layer, module));
        }

        var slots = new Dictionary<TensorSource, int>();
        foreach (var input in graph.Inputs) slots[TensorSource.FromInput(input)] = slots.Count;
        var stepList = new List<Step>();
        foreach (var node in graph.ExecutionOrder)
        {
            var inputSlots = node.Inputs.Select(s => slots[s]).ToArray();
            var cast = node.Inputs.Select(s => s.Info.DType.IsInteger() && !node.Layer.Layer.AcceptsIntegerInputs).ToArray();
            int first = slots.Count;
            for (int k = 0; k < node.Outputs.Count; k++) slots[TensorSource.FromNode(node, k)] = slots.Count;
            stepList.Add(new Step(modules[node.Layer], inputSlots, cast, first, node.Outputs.Count, node.Name));
        }
        steps = stepList.ToArray();
        outputSlots = graph.Outputs.Select(o => slots[o.Source]).ToArray();
        slotCount = slots.Count;
    }

    public ModelGraph Graph { get; }

    /// <summary>Each layer of the model with its module, in Keras's layer order.</summary>
    public IReadOnlyList<(LayerInstance Layer, LayerModule Module)> Layers => layers;

    /// <summary>
    /// Every layer, nested models flattened into their layers, in Keras's order (the order of
    /// Keras's get_weights and of its weight files). A nested model's layers are named by their
    /// path, "encoder/dense": Keras lets an inner name repeat an outer one (names are unique
    /// within one model only), and a path stays unique because '/' cannot occur in a name.
    /// </summary>
    public IEnumerable<(string Name, LayerModule Module)> LeafLayers()
    {
        foreach (var (layer, module) in layers)
        {
            if (module is GraphModule nested)
                foreach (var (name, inner) in nested.LeafLayers()) yield return (layer.Name + "/" + name, inner);
            else
                yield return (layer.Name, module);
        }
    }

    /// <summary>Every weight of the model, layer by layer in Keras's order.</summary>
    public override IReadOnlyList<KerasWeight> Weights => layers.SelectMany(l => l.Module.Weights).ToList();

    public override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != Graph.Inputs.Count)
            throw new ArgumentException($"Model '{Graph.Name}' takes {Graph.Inputs.Count} inputs, not {inputs.Count}.");
        var values = new Tensor[slotCount];
        for (int i = 0; i < inputs.Count; i++) values[i] = AsDeclared(inputs[i], Graph.Inputs[i]);
        var args = new List<Tensor>(4);
        foreach (var step in steps)
        {
            args.Clear();
            for (int i = 0; i < step.InputSlots.Length; i++)
            {
                var value = values[step.InputSlots[i]];
                args.Add(step.CastToFloat[i] ? value.to_type(ScalarType.Float32) : value);
            }
            var outputs = step.Module.Forward(args);
            for (int k = 0; k < step.OutputCount; k++) values[step.FirstOutputSlot + k] = outputs[k];
        }
        var result = new Tensor[outputSlots.Length];
        for (int i = 0; i < outputSlots.Length; i++) result[i] = values[outputSlots[i]];
        return result;
    }

    /// <summary>As Keras's Functional does, a tensor enters the model converted to its input's dtype.</summary>
    static Tensor AsDeclared(Tensor value, GraphInput input)
    {
        var declared = input.Info.DType switch
        {
            DType.Int32 => ScalarType.Int32,
            DType.Int64 => ScalarType.Int64,
            _ => ScalarType.Float32,
        };
        return value.dtype == declared ? value : value.to_type(declared);
    }

    /// <summary>Builds a model's module with freshly initialised weights (Keras initializers, seeded).</summary>
    public static GraphModule Create(ModelGraph graph, Device? device = null, ulong seed = 0)
    {
        return new GraphModule(graph, new BuildContext(device ?? CPU, new WeightRandom(seed)));
    }
}
