using System.Text.Json.Nodes;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Graph;

/// <summary>Limits a graph must stay within.</summary>
public sealed record GraphLimits
{
    public static GraphLimits Default { get; } = new();

    /// <summary>Largest total parameter count accepted (weights of every layer, nested models included).</summary>
    public long MaxParams { get; init; } = 500_000_000;

    /// <summary>Largest number of nodes in one graph (nested graphs count separately).</summary>
    public int MaxNodes { get; init; } = 10_000;

    /// <summary>Deepest nesting of models inside models: a model used as a layer is at depth 1, a model inside it at 2.</summary>
    public int MaxNesting { get; init; } = 8;
}

/// <summary>
/// Turns a <see cref="GraphSpec"/> into a <see cref="ModelGraph"/>, the way Keras's Functional
/// constructor does: resolve layers and references, reject cycles, infer every shape in
/// topological order, and order the layers by depth. All errors are collected, each with the
/// JSON pointer of the field and the node it concerns.
/// </summary>
public static class GraphBuilder
{
    // Nested models build their inner graphs from inside a layer's Configure, which has no way to
    // pass the depth or the caller's limits down: both travel with the thread instead.
    [ThreadStatic] static int nesting;
    [ThreadStatic] static GraphLimits? currentLimits;

    public static ModelGraph Build(string json, GraphLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var spec = GraphSpecParser.Parse(json, diagnostics);
        var graph = spec is null ? null : Build(spec, diagnostics, "", limits);
        if (graph is null) throw new GraphValidationException(diagnostics.Errors.ToList());
        return graph;
    }

    public static ModelGraph Build(GraphSpec spec, GraphLimits? limits = null)
    {
        var diagnostics = new DiagnosticBag();
        var graph = Build(spec, diagnostics, "", limits);
        if (graph is null) throw new GraphValidationException(diagnostics.Errors.ToList());
        return graph;
    }

    /// <summary>Validates a JSON graph; returns the graph, or null with the reasons in <paramref name="diagnostics"/>.</summary>
    public static ModelGraph? TryBuild(JsonNode? json, DiagnosticBag diagnostics, string pointer = "", GraphLimits? limits = null)
    {
        var spec = GraphSpecParser.Parse(json, diagnostics, pointer);
        return spec is null ? null : Build(spec, diagnostics, pointer, limits);
    }

    public static ModelGraph? Build(GraphSpec spec, DiagnosticBag diagnostics, string pointer, GraphLimits? limits = null)
    {
        limits ??= currentLimits ?? GraphLimits.Default;
        if (nesting > limits.MaxNesting)
        {
            diagnostics.Error(pointer, $"Models are nested more than {limits.MaxNesting} deep.");
            return null;
        }
        var outerLimits = currentLimits;
        nesting++;
        currentLimits = limits;
        try
        {
            return new Builder(spec, diagnostics, pointer, limits).Run();
        }
        finally
        {
            nesting--;
            currentLimits = outerLimits;
        }
    }

    sealed class Builder(GraphSpec spec, DiagnosticBag diagnostics, string root, GraphLimits limits)
    {
        readonly List<GraphInput> inputs = [];
        readonly List<GraphNode> nodes = [];
        readonly Dictionary<string, GraphInput> inputsByName = new(StringComparer.Ordinal);
        readonly Dictionary<string, GraphNode> nodesByName = new(StringComparer.Ordinal);
        readonly Dictionary<GraphNode, List<(TensorRef Ref, string Pointer)>> references = [];
        readonly HashSet<GraphNode> failed = [];
        int errorsAtStart;
        int diagnosticsAtStart;

        string P(string relative) => root + relative;

        public ModelGraph? Run()
        {
            errorsAtStart = diagnostics.ErrorCount;
            diagnosticsAtStart = diagnostics.All.Count;
            if (spec.Nodes.Count > limits.MaxNodes)
            {
                diagnostics.Error(P("/nodes"), $"The graph has {spec.Nodes.Count} nodes; the limit is {limits.MaxNodes}.");
                return null;
            }
            DeclareNames();
            DefineLayers();
            ResolveReferences();
            var order = TopologicalOrder();
            InferShapes(order);
            var outputs = ResolveOutputs();
            if (diagnostics.ErrorCount > errorsAtStart || outputs is null) return null;

            MarkLive(outputs);
            var layers = OrderLayers(outputs);
            foreach (var layer in layers)
            {
                var (trainable, nonTrainable) = layer.Layer.CountParams(layer.BuildInputs!);
                layer.TrainableParams = trainable;
                layer.NonTrainableParams = nonTrainable;
            }
            var total = layers.Sum(l => l.Params);
            if (total > limits.MaxParams)
                diagnostics.Error(P(""), $"The model has {total:N0} parameters; the limit is {limits.MaxParams:N0}.");
            var warnings = Warnings();
            if (diagnostics.ErrorCount > errorsAtStart) return null;
            var executionOrder = order.Where(n => n.IsLive).ToList();
            return new ModelGraph(spec, inputs, layers, nodes, executionOrder, outputs, warnings, entries);
        }

        void DeclareNames()
        {
            for (int i = 0; i < spec.Inputs.Count; i++)
            {
                var input = new GraphInput(i, spec.Inputs[i]);
                if (!inputsByName.TryAdd(input.Name, input))
                    diagnostics.Error(P($"/inputs/{i}/name"), $"Duplicate name '{input.Name}': every input and node needs its own name.");
                inputs.Add(input);
            }
            for (int i = 0; i < spec.Nodes.Count; i++)
            {
                var node = new GraphNode(spec.Nodes[i].Name, i, spec.Nodes[i]);
                if (inputsByName.ContainsKey(node.Name) || !nodesByName.TryAdd(node.Name, node))
                    diagnostics.Error(P($"/nodes/{i}/name"), $"Duplicate name '{node.Name}': every input and node needs its own name.", node.Name);
                nodes.Add(node);
            }
        }

        void DefineLayers()
        {
            foreach (var node in nodes.Where(n => n.Spec.Share is null))
            {
                var type = node.Spec.Type!;
                var layer = LayerRegistry.Create(type);
                if (layer is null)
                {
                    var suggestions = LayerRegistry.Suggest(type).ToList();
                    diagnostics.Error(P(node.Pointer + "/type"),
                        $"Node '{node.Name}': unknown layer type '{type}'." + (suggestions.Count > 0 ? $" Did you mean {string.Join(" or ", suggestions.Select(s => $"'{s}'"))}?" : $" Known types: {string.Join(", ", LayerRegistry.Names)}."),
                        node.Name);
                    failed.Add(node);
                    continue;
                }
                var before = diagnostics.ErrorCount;
                var config = new LayerConfig(node.Spec.Config ?? [], P(node.Pointer + "/config"), node.Name, diagnostics);
                layer.Initialize(node.Name, type, config);
                if (diagnostics.ErrorCount > before) failed.Add(node);
                node.Layer = new LayerInstance(layer, node);
                node.Layer.Calls.Add(node);
            }

            foreach (var node in nodes.Where(n => n.Spec.Share is not null))
            {
                var target = ResolveShare(node);
                if (target is null)
                {
                    failed.Add(node);
                    continue;
                }
                if (failed.Contains(target)) failed.Add(node);
                if (target.Layer is null) continue;
                node.Layer = target.Layer;
                node.Layer.Calls.Add(node);
            }
            foreach (var layer in nodes.Select(n => n.Layer).OfType<LayerInstance>().Distinct())
                for (int i = 0; i < layer.Calls.Count; i++) layer.Calls[i].CallIndex = i;
        }

        GraphNode? ResolveShare(GraphNode node)
        {
            var seen = new HashSet<GraphNode> { node };
            var current = node;
            while (current.Spec.Share is string share)
            {
                if (!nodesByName.TryGetValue(share, out var target))
                {
                    var what = inputsByName.ContainsKey(share) ? $"'{share}' is an input, which has no layer to share" : $"no node is named '{share}'";
                    diagnostics.Error(P(node.Pointer + "/share"), $"Node '{node.Name}' shares the layer of '{share}', but {what}.", node.Name);
                    return null;
                }
                if (!seen.Add(target))
                {
                    diagnostics.Error(P(node.Pointer + "/share"), $"Node '{node.Name}': the share references form a loop ({string.Join(" -> ", seen.Select(s => s.Name))} -> {target.Name}).", node.Name);
                    return null;
                }
                current = target;
            }
            return current;
        }

        void ResolveReferences()
        {
            foreach (var node in nodes)
            {
                var list = new List<(TensorRef, string)>();
                for (int i = 0; i < node.Spec.Inputs.Count; i++)
                {
                    var text = node.Spec.Inputs[i];
                    var pointer = P($"{node.Pointer}/inputs/{i}");
                    if (!TensorRef.TryParse(text, out var reference))
                    {
                        diagnostics.Error(pointer, $"Node '{node.Name}': '{text}' is not a tensor reference (a name, or 'name:k' for output k).", node.Name);
                        failed.Add(node);
                        continue;
                    }
                    if (!inputsByName.ContainsKey(reference.Name) && !nodesByName.ContainsKey(reference.Name))
                    {
                        diagnostics.Error(pointer, $"Node '{node.Name}' takes '{text}', but no input or node is named '{reference.Name}'.", node.Name);
                        failed.Add(node);
                        continue;
                    }
                    if (reference.Name == node.Name)
                    {
                        diagnostics.Error(pointer, $"Node '{node.Name}' takes its own output: a graph cannot have cycles.", node.Name);
                        failed.Add(node);
                        continue;
                    }
                    if (inputsByName.ContainsKey(reference.Name) && reference.Index != 0)
                    {
                        diagnostics.Error(pointer, $"Node '{node.Name}': input '{reference.Name}' has one tensor, so '{text}' refers to nothing.", node.Name);
                        failed.Add(node);
                        continue;
                    }
                    list.Add((reference, pointer));
                }
                references[node] = list;
            }
        }

        /// <summary>Kahn's algorithm with ties broken by spec order, so that equal graphs run in equal order.</summary>
        List<GraphNode> TopologicalOrder()
        {
            var pending = new Dictionary<GraphNode, int>();
            var consumers = nodes.ToDictionary(n => n, _ => new List<GraphNode>());
            foreach (var node in nodes)
            {
                var deps = references[node].Select(r => r.Ref.Name).Where(nodesByName.ContainsKey).Distinct().ToList();
                pending[node] = deps.Count;
                foreach (var dep in deps) consumers[nodesByName[dep]].Add(node);
            }
            var ready = new SortedSet<int>(nodes.Where(n => pending[n] == 0).Select(n => n.SpecIndex));
            var order = new List<GraphNode>();
            while (ready.Count > 0)
            {
                var node = nodes[ready.Min];
                ready.Remove(ready.Min);
                order.Add(node);
                foreach (var consumer in consumers[node])
                    if (--pending[consumer] == 0) ready.Add(consumer.SpecIndex);
            }
            if (order.Count < nodes.Count)
            {
                var inCycle = nodes.Where(n => pending[n] > 0).ToHashSet();
                foreach (var cycle in FindCycles(inCycle))
                {
                    var first = cycle[0];
                    diagnostics.Error(P(first.Pointer + "/inputs"), $"Node '{first.Name}' is part of a cycle: {string.Join(" -> ", cycle.Select(c => c.Name))} -> {first.Name}. A graph must be acyclic.", first.Name);
                }
                foreach (var node in inCycle) failed.Add(node);
            }
            return order;
        }

        IEnumerable<List<GraphNode>> FindCycles(HashSet<GraphNode> candidates)
        {
            var reported = new HashSet<GraphNode>();
            foreach (var start in candidates.OrderBy(n => n.SpecIndex))
            {
                if (reported.Contains(start)) continue;
                // Follow inputs inside the candidate set until a node repeats.
                var path = new List<GraphNode>();
                var index = new Dictionary<GraphNode, int>();
                var current = start;
                while (current is not null && !index.ContainsKey(current))
                {
                    index[current] = path.Count;
                    path.Add(current);
                    current = references[current].Select(r => nodesByName.GetValueOrDefault(r.Ref.Name)).FirstOrDefault(n => n is not null && candidates.Contains(n));
                }
                if (current is null) continue;
                var cycle = path.Skip(index[current]).ToList();
                cycle.Reverse(); // data flows from input to consumer
                if (cycle.Any(reported.Contains)) continue;
                foreach (var n in cycle) reported.Add(n);
                yield return cycle;
            }
        }

        void InferShapes(List<GraphNode> order)
        {
            foreach (var node in order)
            {
                if (failed.Contains(node) || node.Layer is null) { failed.Add(node); continue; }
                var sources = new List<TensorSource>();
                var ok = true;
                foreach (var (reference, pointer) in references[node])
                {
                    if (inputsByName.TryGetValue(reference.Name, out var input))
                    {
                        sources.Add(TensorSource.FromInput(input));
                        continue;
                    }
                    var producer = nodesByName[reference.Name];
                    if (failed.Contains(producer)) { ok = false; continue; }
                    if (reference.Index >= producer.Outputs.Count)
                    {
                        diagnostics.Error(pointer, $"Node '{node.Name}' takes '{reference}', but '{producer.Name}' has {Plural(producer.Outputs.Count, "output")} (valid: {string.Join(", ", Enumerable.Range(0, producer.Outputs.Count).Select(k => k == 0 ? producer.Name : $"{producer.Name}:{k}"))}).", node.Name);
                        ok = false;
                        continue;
                    }
                    sources.Add(TensorSource.FromNode(producer, reference.Index));
                }
                if (!ok) { failed.Add(node); continue; }
                node.Inputs = sources;

                var layer = node.Layer.Layer;
                var inputsPointer = P(node.Pointer + "/inputs");
                if (sources.Count < layer.MinInputs || sources.Count > layer.MaxInputs)
                {
                    var expected = layer.MinInputs == layer.MaxInputs ? $"{Plural(layer.MinInputs, "input")}" :
                        layer.MaxInputs == int.MaxValue ? $"at least {Plural(layer.MinInputs, "input")}" : $"{layer.MinInputs} to {layer.MaxInputs} inputs";
                    diagnostics.Error(inputsPointer, $"Node '{node.Name}': a {layer.Type} layer takes {expected}, not {sources.Count}.", node.Name);
                    failed.Add(node);
                    continue;
                }
                var infos = sources.Select(s => layer.AcceptsIntegerInputs || !s.Info.DType.IsInteger() ? s.Info : s.Info with { DType = DType.Float32 }).ToList();
                var check = new ShapeCheck(diagnostics, inputsPointer, node.Name);
                IReadOnlyList<TensorInfo>? outputs;
                try
                {
                    outputs = layer.InferOutputs(infos, check);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException)
                {
                    outputs = check.Fail($"cannot be called on {string.Join(", ", infos)}: {e.Message}");
                }
                if (outputs is null || check.Failed) { failed.Add(node); continue; }
                if (outputs.Any(o => o.Shape.SampleDims.Any(d => d is <= 0)))
                {
                    check.Fail($"{layer.Type} on {string.Join(", ", infos)} gives an empty output {string.Join(", ", outputs)}: the input is too small for the layer.");
                    failed.Add(node);
                    continue;
                }
                node.Outputs = outputs;

                var weights = layer.DeclareWeights(infos);
                if (node.Layer.BuildInputs is null)
                {
                    node.Layer.BuildInputs = infos;
                    node.Layer.Weights = weights;
                }
                else if (WeightSpec.Difference(node.Layer.Weights, weights) is string difference)
                {
                    check.Fail($"calls the shared layer '{node.Layer.Name}' on {string.Join(", ", infos)}, but the layer was built for {string.Join(", ", node.Layer.BuildInputs)}: {difference}.");
                    failed.Add(node);
                }
            }
        }

        List<GraphOutput>? ResolveOutputs()
        {
            var outputs = new List<GraphOutput>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < spec.Outputs.Count; i++)
            {
                var text = spec.Outputs[i];
                var pointer = P($"/outputs/{i}");
                if (!TensorRef.TryParse(text, out var reference))
                {
                    diagnostics.Error(pointer, $"'{text}' is not a tensor reference (a node name, or 'name:k' for output k).");
                    continue;
                }
                TensorSource source;
                if (inputsByName.TryGetValue(reference.Name, out var input) && reference.Index == 0)
                    source = TensorSource.FromInput(input);
                else if (nodesByName.TryGetValue(reference.Name, out var node))
                {
                    if (failed.Contains(node)) continue;
                    if (reference.Index >= node.Outputs.Count)
                    {
                        diagnostics.Error(pointer, $"Output '{text}': node '{node.Name}' has {Plural(node.Outputs.Count, "output")}.", node.Name);
                        continue;
                    }
                    source = TensorSource.FromNode(node, reference.Index);
                }
                else
                {
                    diagnostics.Error(pointer, $"Output '{text}' is not reachable from the inputs: no node is named '{reference.Name}'.");
                    continue;
                }
                var name = reference.Index == 0 ? reference.Name : $"{reference.Name}_{reference.Index}";
                if (!names.Add(name))
                {
                    diagnostics.Error(pointer, $"Output '{text}' is listed twice; each output needs its own tensor.");
                    continue;
                }
                outputs.Add(new GraphOutput(outputs.Count, name, source));
            }
            return outputs.Count == spec.Outputs.Count ? outputs : null;
        }

        void MarkLive(List<GraphOutput> outputs)
        {
            var stack = new Stack<GraphNode>(outputs.Select(o => o.Source.Node).OfType<GraphNode>());
            while (stack.Count > 0)
            {
                var node = stack.Pop();
                if (node.IsLive) continue;
                node.IsLive = true;
                foreach (var source in node.Inputs)
                    if (source.Node is { IsLive: false } producer) stack.Push(producer);
            }
        }

        /// <summary>
        /// Keras's layer order: by depth from the outputs (deepest, the inputs, first); ties in the order
        /// a depth-first walk from the outputs first meets the layers (tf.keras _map_graph_network).
        /// </summary>
        List<LayerInstance> OrderLayers(List<GraphOutput> outputs)
        {
            var live = nodes.Where(n => n.IsLive).ToList();
            var depth = live.ToDictionary(n => n, _ => 0);
            var inputDepth = inputs.ToDictionary(i => i, _ => 0);
            // Longest path from an output: process consumers before producers (reverse topological order).
            var order = TopologicalOrderOf(live);
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var node = order[i];
                foreach (var source in node.Inputs)
                {
                    if (source.Node is GraphNode producer) depth[producer] = Math.Max(depth[producer], depth[node] + 1);
                    else inputDepth[source.Input!] = Math.Max(inputDepth[source.Input!], depth[node] + 1);
                }
            }
            foreach (var node in live) node.Depth = depth[node];

            // Discovery order: pre-order walk from each output through its inbound tensors.
            var discovery = new Dictionary<object, int>();
            var visited = new HashSet<GraphNode>();
            void Walk(TensorSource source)
            {
                if (source.Input is GraphInput input)
                {
                    discovery.TryAdd(input, discovery.Count);
                    return;
                }
                var node = source.Node!;
                if (!visited.Add(node)) return;
                discovery.TryAdd(node.Layer, discovery.Count);
                foreach (var inbound in node.Inputs) Walk(inbound);
            }
            foreach (var output in outputs) Walk(output.Source);

            var layerDepth = new Dictionary<LayerInstance, int>();
            foreach (var node in live)
                layerDepth[node.Layer] = Math.Max(layerDepth.GetValueOrDefault(node.Layer, 0), depth[node]);
            foreach (var (layer, d) in layerDepth) layer.Depth = d;

            // Inputs are part of the ordering (as InputLayers) but are not LayerInstances.
            var entries = layerDepth.Select(p => (Key: (object)p.Key, Depth: p.Value))
                .Concat(inputs.Where(discovery.ContainsKey).Select(i => (Key: (object)i, Depth: inputDepth[i])))
                .OrderByDescending(e => e.Depth)
                .ThenBy(e => discovery.GetValueOrDefault(e.Key, int.MaxValue))
                .ToList();
            this.entries = entries.Select(e => new ModelEntry(e.Key as GraphInput, e.Key as LayerInstance)).ToList();
            return entries.Select(e => e.Key).OfType<LayerInstance>().ToList();
        }

        List<ModelEntry> entries = [];

        List<GraphNode> TopologicalOrderOf(List<GraphNode> subset)
        {
            var set = subset.ToHashSet();
            var result = new List<GraphNode>();
            var done = new HashSet<GraphNode>();
            void Visit(GraphNode n)
            {
                if (!done.Add(n)) return;
                foreach (var s in n.Inputs)
                    if (s.Node is GraphNode p && set.Contains(p)) Visit(p);
                result.Add(n);
            }
            foreach (var n in subset.OrderBy(n => n.SpecIndex)) Visit(n);
            return result;
        }

        List<GraphDiagnostic> Warnings()
        {
            var warnings = new DiagnosticBag();
            var usedInputs = new HashSet<GraphInput>(nodes.Where(n => n.IsLive).SelectMany(n => n.Inputs).Select(s => s.Input).OfType<GraphInput>());
            foreach (var output in ResolveOutputsSilently()) if (output.Input is GraphInput i) usedInputs.Add(i);
            foreach (var input in inputs.Where(i => !usedInputs.Contains(i)))
                warnings.Warning(P($"/inputs/{input.Index}"), $"Input '{input.Name}' reaches no output: the model ignores it, but still expects data for it.");
            foreach (var node in nodes.Where(n => !n.IsLive))
                warnings.Warning(P(node.Pointer), $"Node '{node.Name}' ({node.Layer?.Layer.Type ?? node.Spec.Type}) reaches no output: no output depends on it, so it is never computed and its weights are not part of the model.", node.Name);
            diagnostics.AddRange(warnings.All);
            // Also those that layers and nested models reported while they were built.
            return diagnostics.All.Skip(diagnosticsAtStart).Where(d => d.Severity == Severity.Warning).ToList();
        }

        IEnumerable<TensorSource> ResolveOutputsSilently() =>
            spec.Outputs.Select(o => TensorRef.TryParse(o, out var r) && inputsByName.TryGetValue(r.Name, out var i) ? TensorSource.FromInput(i) : default)
                .Where(s => s.Input is not null);

        static string Plural(int n, string word) => n == 1 ? $"1 {word}" : $"{n} {word}s";
    }
}
