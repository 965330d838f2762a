using TrainService.Engine.Graph;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Applications;

/// <summary>
/// A model of keras.applications used as a layer: the subclass generates its graph, which is
/// validated by <see cref="GraphBuilder"/>, re-inferred for each call's input shape, and run by a
/// <see cref="GraphModule"/>. Nodes that share the layer call the same module, so the same weights.
/// </summary>
/// <remarks>
/// Mirrors the generic nested-model layer (a "Model" node with config.graph) so that this class can
/// give way to it: only <see cref="DefineGraph"/> and <see cref="CheckCall"/> are Xception's own.
/// </remarks>
public abstract class ApplicationLayer : Layer
{
    readonly Dictionary<string, ModelGraph> graphsByCall = new(StringComparer.Ordinal);
    string innerPointer = "";

    /// <summary>The model as declared (its input's own shape), or null when its config is invalid.</summary>
    public ModelGraph? Inner { get; private set; }

    /// <summary>The model's graph from the layer's config, or null after reporting why there is none.</summary>
    protected abstract GraphSpec? DefineGraph(LayerConfig config);

    /// <summary>Why the model cannot be called on this input, beyond what its layers check; null when it can.</summary>
    protected virtual string? CheckCall(Shape input) => null;

    protected sealed override void Configure(LayerConfig config)
    {
        var spec = DefineGraph(config);
        if (spec is null) return;
        innerPointer = config.Pointer;
        Inner = GraphBuilder.Build(spec, config.Diagnostics, innerPointer);
    }

    /// <summary>tf.keras 2.4+ prints a model used as a layer as "Functional".</summary>
    public override string KerasClassName => "Functional";

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) =>
        ResolveCall(inputs[0].Shape, check)?.Outputs.Select(o => o.Info).ToList();

    /// <summary>Every weight of the model, named by its path ("block1_conv1/kernel"), in Keras's order.</summary>
    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) =>
        ResolveCall(inputs[0].Shape, check: null) is { } graph
            ? graph.Layers.SelectMany(l => l.Weights.Select(w => w with { Name = l.Name + "/" + w.Name })).ToList()
            : [];

    public override (long Trainable, long NonTrainable) CountParams(IReadOnlyList<TensorInfo> inputs) =>
        ResolveCall(inputs[0].Shape, check: null) is { } graph ? (graph.TrainableParams, graph.NonTrainableParams) : (0, 0);

    // Its layers are built once, as declared; every call's re-inferred graph has the same weights.
    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new GraphModule(Inner ?? throw new InvalidOperationException($"Layer '{Name}' has no valid model."), context);

    /// <summary>The graph as one call sees it: the declared one, or one re-inferred with the call's known sizes.</summary>
    ModelGraph? ResolveCall(Shape call, ShapeCheck? check)
    {
        if (Inner is null) return null;
        var declared = Inner.Inputs[0].Info.Shape;
        var merged = Merge(call, declared);
        if (merged is null)
        {
            check?.Fail($"model '{Name}' takes inputs of shape {declared}, not {call}.");
            return null;
        }
        if (CheckCall(merged) is string problem)
        {
            check?.Fail(problem);
            return null;
        }
        if (merged.Equals(declared)) return Inner;
        var key = merged.ToString();
        if (graphsByCall.TryGetValue(key, out var cached)) return cached;

        var spec = Inner.Spec with { Inputs = [Inner.Spec.Inputs[0] with { Shape = merged.SampleDims }] };
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.Build(spec, diagnostics, innerPointer);
        if (graph is null)
        {
            check?.Fail($"calling model '{Name}' on {merged} fails inside it: {string.Join(" ", diagnostics.Errors)}");
            return null;
        }
        graphsByCall[key] = graph;
        return graph;
    }

    /// <summary>The call's sizes where known, the declared ones where the call leaves them free; null when they disagree.</summary>
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
}
