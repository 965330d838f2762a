using TrainService.Engine.Layers;

namespace TrainService.Engine.Graph;

/// <summary>
/// A validated graph with every shape known: the Keras functional model's structure. Layers own
/// weights; nodes are calls of layers; tensors are identified by their source.
/// </summary>
public sealed class ModelGraph
{
    internal ModelGraph(
        GraphSpec spec,
        IReadOnlyList<GraphInput> inputs,
        IReadOnlyList<LayerInstance> layers,
        IReadOnlyList<GraphNode> nodes,
        IReadOnlyList<GraphNode> executionOrder,
        IReadOnlyList<GraphOutput> outputs,
        IReadOnlyList<GraphDiagnostic> warnings,
        IReadOnlyList<ModelEntry> entries)
    {
        Entries = entries;
        Spec = spec;
        Inputs = inputs;
        Layers = layers;
        Nodes = nodes;
        ExecutionOrder = executionOrder;
        Outputs = outputs;
        Warnings = warnings;
        TrainableParams = layers.Sum(l => l.TrainableParams);
        NonTrainableParams = layers.Sum(l => l.NonTrainableParams);
    }

    public GraphSpec Spec { get; }

    public string Name => Spec.Name;

    public IReadOnlyList<GraphInput> Inputs { get; }

    /// <summary>The layers of the model in Keras's order (by depth from the inputs), dead ones left out.</summary>
    public IReadOnlyList<LayerInstance> Layers { get; }

    /// <summary>Every node in the order of the spec, those that reach no output included.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The nodes the outputs need, in an order that computes each after its inputs.</summary>
    public IReadOnlyList<GraphNode> ExecutionOrder { get; }

    public IReadOnlyList<GraphOutput> Outputs { get; }

    public IReadOnlyList<GraphDiagnostic> Warnings { get; }

    public long TrainableParams { get; }

    public long NonTrainableParams { get; }

    public long TotalParams => TrainableParams + NonTrainableParams;

    /// <summary>InputLayers and layers interleaved in Keras's model.layers order (the summary's rows).</summary>
    public IReadOnlyList<ModelEntry> Entries { get; }

    public GraphInput? FindInput(string name) => Inputs.FirstOrDefault(i => i.Name == name);

    public GraphOutput? FindOutput(string name) => Outputs.FirstOrDefault(o => o.Name == name);

    public LayerInstance? FindLayer(string name) => Layers.FirstOrDefault(l => l.Name == name);
}

public sealed class GraphInput(int index, InputSpec spec)
{
    public int Index { get; } = index;

    public string Name => Spec.Name;

    public InputSpec Spec { get; } = spec;

    public TensorInfo Info { get; } = new(spec.BatchShape, spec.DType);

    public override string ToString() => Name;
}

/// <summary>One layer of the model with the weights it was built with.</summary>
public sealed class LayerInstance(Layer layer, GraphNode definingNode)
{
    public Layer Layer { get; } = layer;

    public string Name => Layer.Name;

    public GraphNode DefiningNode { get; } = definingNode;

    /// <summary>The nodes that call this layer, in call order (the defining node first).</summary>
    public List<GraphNode> Calls { get; } = [];

    /// <summary>The inputs the layer was built for (its first call's).</summary>
    public IReadOnlyList<TensorInfo>? BuildInputs { get; internal set; }

    public IReadOnlyList<WeightSpec> Weights { get; internal set; } = [];

    public long TrainableParams { get; internal set; }

    public long NonTrainableParams { get; internal set; }

    public long Params => TrainableParams + NonTrainableParams;

    /// <summary>Depth from the outputs (Keras's layer depth): the largest of its nodes'.</summary>
    public int Depth { get; internal set; }

    public override string ToString() => Layer.ToString();
}

/// <summary>One call of a layer: which tensors go in, what comes out.</summary>
public sealed class GraphNode(string name, int specIndex, NodeSpec spec)
{
    public string Name { get; } = name;

    /// <summary>Position in the spec's nodes list (for JSON pointers).</summary>
    public int SpecIndex { get; } = specIndex;

    public NodeSpec Spec { get; } = spec;

    public string Pointer => "/nodes/" + SpecIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public LayerInstance Layer { get; internal set; } = null!;

    /// <summary>Which call of its layer this is (Keras's node index).</summary>
    public int CallIndex { get; internal set; }

    public IReadOnlyList<TensorSource> Inputs { get; internal set; } = [];

    public IReadOnlyList<TensorInfo> Outputs { get; internal set; } = [];

    /// <summary>True when an output depends on this node.</summary>
    public bool IsLive { get; internal set; }

    public int Depth { get; internal set; }

    public override string ToString() => Name;
}

/// <summary>A tensor: a graph input, or output k of a node.</summary>
public readonly record struct TensorSource(GraphInput? Input, GraphNode? Node, int OutputIndex)
{
    public static TensorSource FromInput(GraphInput input) => new(input, null, 0);

    public static TensorSource FromNode(GraphNode node, int index) => new(null, node, index);

    public TensorInfo Info => Input?.Info ?? Node!.Outputs[OutputIndex];

    /// <summary>The producing layer's name: the input's name for graph inputs.</summary>
    public string LayerName => Input?.Name ?? Node!.Layer.Name;

    /// <summary>Keras's "name[node_index][tensor_index]" of the summary's Connected to column.</summary>
    public string KerasHistory => Input is not null ? $"{Input.Name}[0][0]" : $"{Node!.Layer.Name}[{Node.CallIndex + Node.Layer.Layer.FirstKerasNodeIndex}][{OutputIndex}]";

    public override string ToString() => Input?.Name ?? (OutputIndex == 0 ? Node!.Name : $"{Node!.Name}:{OutputIndex}");
}

/// <summary>A model output: the name losses, metrics and predictions are keyed by, and its tensor.</summary>
public sealed record GraphOutput(int Index, string Name, TensorSource Source)
{
    public TensorInfo Info => Source.Info;
}

/// <summary>A row of Keras's model.layers: an InputLayer or a layer.</summary>
public sealed record ModelEntry(GraphInput? Input, LayerInstance? Layer)
{
    public string Name => Input?.Name ?? Layer!.Name;
}
