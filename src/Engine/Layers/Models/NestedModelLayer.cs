using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers.Models;

/// <summary>
/// A whole model called like a layer (Keras: <c>y = model(x)</c>). A subclass supplies the inner
/// graph as a <see cref="GraphSpec"/>; this class validates it with <see cref="GraphBuilder"/>
/// (errors point into the inner graph), re-infers it for every call's input shapes, and runs it
/// with a <see cref="GraphModule"/>. One layer is one set of weights: nodes that share it
/// (<c>"share"</c>) call the same module.
/// </summary>
public abstract class NestedModelLayer : Layer
{
    readonly Dictionary<string, ModelGraph> graphsByCall = new(StringComparer.Ordinal);
    ModelGraph? inner;
    string innerPointer = "";

    /// <summary>The inner model as declared (its inputs' own shapes), or null when it is invalid.</summary>
    public ModelGraph? Inner => inner;

    /// <summary>The inner graph, or null after reporting why there is none (through <paramref name="config"/>).</summary>
    protected abstract GraphSpec? DefineGraph(LayerConfig config);

    /// <summary>Where the inner graph sits in the request, so that its errors point into it.</summary>
    protected virtual string GraphPointer(LayerConfig config) => config.Pointer;

    protected sealed override void Configure(LayerConfig config)
    {
        var spec = DefineGraph(config);
        if (spec is null) return;
        innerPointer = GraphPointer(config);
        inner = GraphBuilder.Build(Trainable ? spec : Frozen(spec), config.Diagnostics, innerPointer);
    }

    /// <summary>
    /// Keras's model.trainable = False sets every inner layer's trainable to False, so their
    /// weights count as non-trainable, never train, and BatchNormalization runs in inference mode.
    /// </summary>
    static GraphSpec Frozen(GraphSpec spec) => spec with
    {
        Nodes = spec.Nodes.Select(node =>
        {
            if (node.Type is null) return node;
            var config = (JsonObject)(node.Config?.DeepClone() ?? new JsonObject());
            config["trainable"] = false;
            return node with { Config = config };
        }).ToList(),
    };

    public override int MinInputs => inner?.Inputs.Count ?? 1;

    public override int MaxInputs => MinInputs;

    // Each inner input converts its tensor to its own dtype (see ResolveCall), not to float32.
    public override bool AcceptsIntegerInputs => true;

    /// <summary>tf.keras 2.4+ prints a model used as a layer as "Functional".</summary>
    public override string KerasClassName => "Functional";

    public override int FirstKerasNodeIndex => 1;

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) =>
        ResolveCall(inputs, check)?.Outputs.Select(o => o.Info).ToList();

    /// <summary>Every weight of the inner model, named by its path ("dense/kernel"), in Keras's order.</summary>
    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) =>
        ResolveCall(inputs, check: null) is { } graph ? FlattenWeights(graph) : [];

    public override (long Trainable, long NonTrainable) CountParams(IReadOnlyList<TensorInfo> inputs) =>
        ResolveCall(inputs, check: null) is { } graph ? (graph.TrainableParams, graph.NonTrainableParams) : (0, 0);

    // Built as declared, as Keras builds the inner layers once, when the inner model is made;
    // every call re-inferred below has the same weights.
    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new GraphModule(Inner ?? throw new InvalidOperationException($"Layer '{Name}' has no valid inner model."), context);

    /// <summary>
    /// The inner graph as one call sees it: the declared graph when the call's shapes add nothing,
    /// else the graph re-inferred with them. Null (after failing <paramref name="check"/>) when the
    /// call does not fit the inner inputs, fails inside, or would need other weights.
    /// </summary>
    ModelGraph? ResolveCall(IReadOnlyList<TensorInfo> inputs, ShapeCheck? check)
    {
        if (inner is null) return null;
        var shapes = new List<Shape>(inputs.Count);
        for (int i = 0; i < inputs.Count; i++)
        {
            var declared = inner.Inputs[i];
            var merged = Merge(inputs[i].Shape, declared.Info.Shape);
            if (merged is null)
            {
                check?.Fail($"model '{Name}' takes {declared.Info.Shape} as its input '{declared.Name}', not {inputs[i].Shape}.");
                return null;
            }
            if (!inputs[i].DType.IsInteger() && declared.Info.DType.IsInteger())
                check?.Warn($"model '{Name}' converts input {i} ({inputs[i].DType.KerasName()}) to {declared.Info.DType.KerasName()} for its input '{declared.Name}', as Keras does: fractions are cut off.");
            shapes.Add(merged);
        }
        if (shapes.Select((s, i) => s.Equals(inner.Inputs[i].Info.Shape)).All(same => same)) return inner;

        var key = string.Join(";", shapes);
        if (graphsByCall.TryGetValue(key, out var cached)) return cached;

        var reinferred = Reinfer(shapes, out var problems);
        if (reinferred is null)
        {
            check?.Fail($"calling model '{Name}' on {string.Join(", ", shapes)} fails inside it: {problems}");
            return null;
        }
        if (WeightSpec.Difference(FlattenWeights(inner), FlattenWeights(reinferred)) is string difference)
        {
            check?.Fail($"calls model '{Name}' on {string.Join(", ", shapes)}, but the model was built for {string.Join(", ", inner.Inputs.Select(i => i.Info.Shape))}: {difference}.");
            return null;
        }
        graphsByCall[key] = reinferred;
        return reinferred;
    }

    ModelGraph? Reinfer(IReadOnlyList<Shape> shapes, out string problems)
    {
        var spec = inner!.Spec with
        {
            Inputs = inner.Spec.Inputs.Select((input, i) => input with { Shape = shapes[i].SampleDims }).ToList(),
        };
        // Warnings of the inner graph were reported when it was declared; a call adds only errors.
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.Build(spec, diagnostics, innerPointer);
        problems = string.Join(" ", diagnostics.Errors.Select(e => e.ToString()));
        return graph;
    }

    /// <summary>
    /// The call's shape where it knows a size, the declared one where the call leaves it free; null
    /// when they disagree (a free size matches anything, as in Keras's input spec check).
    /// </summary>
    static Shape? Merge(Shape call, Shape declared)
    {
        if (call.Rank != declared.Rank) return null;
        var dims = new int?[call.Rank];
        for (int d = 1; d < call.Rank; d++)
        {
            if (!Shape.Compatible(call[d], declared[d])) return null;
            dims[d] = call[d] ?? declared[d];
        }
        return new Shape(dims);
    }

    static List<WeightSpec> FlattenWeights(ModelGraph graph) =>
        graph.Layers.SelectMany(l => l.Weights.Select(w => w with { Name = l.Name + "/" + w.Name })).ToList();
}
