using System.Globalization;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Data;

/// <summary>
/// Checks arrays against a model and its compile settings before anything trains, and converts
/// them: names and counts of inputs and targets, sample counts, ranks and sizes, dtypes, finite
/// values, integer inputs within their Embedding's vocabulary, class ids within the classes, one-hot
/// widths. Every problem is reported with a JSON pointer into the request (/x/&lt;name&gt;, /y/&lt;name&gt;,
/// /sample_weight, under /validation_data for validation data).
/// </summary>
public static class DataPreparation
{
    /// <summary>Checks fit or evaluate data without keeping anything; true when it is usable.</summary>
    public static bool Check(ModelGraph graph, TrainingPlan plan, FitData data, DiagnosticBag diagnostics, string pointer = "")
    {
        using var prepared = Prepare(graph, plan, data, diagnostics, pointer, requireTargets: true);
        return prepared is not null;
    }

    internal static PreparedData? Prepare(ModelGraph graph, TrainingPlan? plan, FitData data, DiagnosticBag diagnostics, string pointer, bool requireTargets)
    {
        int errors = diagnostics.ErrorCount;
        var owned = new List<Tensor>();
        var counts = new List<(string Pointer, long Count)>();
        var inputs = MatchInputs(graph, data.X, JsonPointer.Append(pointer, "x"), diagnostics);
        Tensor?[]? targets = null;
        Tensor?[]? weights = null;
        if (plan is not null)
        {
            var yPointer = JsonPointer.Append(pointer, "y");
            if (data.Y is null)
            {
                if (requireTargets) diagnostics.Error(yPointer, "Targets are required: one array per output with a loss or metrics.");
            }
            else targets = MatchOutputs(plan, data.Y, yPointer, diagnostics, "targets", plan.Heads.Where(h => h.NeedsTargets).Select(h => h.Name));
            if (data.SampleWeight is { } sampleWeight)
                weights = MatchSampleWeights(plan, sampleWeight, JsonPointer.Append(pointer, "sample_weight"), diagnostics);
        }
        if (diagnostics.ErrorCount > errors) return null;

        // Sample counts first: nothing else is worth reading when the arrays disagree.
        void Count(NamedArrays arrays, string basePointer, int i)
        {
            var array = arrays.Arrays[i];
            var p = arrays.Count == 1 && !arrays.IsNamed ? basePointer : JsonPointer.Append(basePointer, arrays.KeyOf(i));
            if (array.dim() == 0) diagnostics.Error(p, "An array needs a first axis of samples; this one is a scalar.");
            else counts.Add((p, array.shape[0]));
        }
        for (int i = 0; i < data.X.Count; i++) Count(data.X, JsonPointer.Append(pointer, "x"), i);
        if (targets is not null) for (int i = 0; i < data.Y!.Count; i++) Count(data.Y, JsonPointer.Append(pointer, "y"), i);
        if (weights is not null) for (int i = 0; i < data.SampleWeight!.Count; i++) Count(data.SampleWeight, JsonPointer.Append(pointer, "sample_weight"), i);
        if (diagnostics.ErrorCount > errors) return null;
        long n = counts[0].Count;
        foreach (var (p, c) in counts.Skip(1))
            if (c != n)
                diagnostics.Error(p, $"has {c} samples, but {counts[0].Pointer} has {n}: every array needs the same first dimension.");
        if (n == 0) diagnostics.Error(counts[0].Pointer, "There are no samples.");
        if (diagnostics.ErrorCount > errors) return null;

        var converted = new Tensor[graph.Inputs.Count];
        for (int i = 0; i < graph.Inputs.Count; i++)
            converted[i] = ConvertInput(graph, graph.Inputs[i], inputs![i].Array, inputs[i].Pointer, diagnostics, owned);
        if (diagnostics.ErrorCount == errors) CheckConcreteShapes(graph, inputs!, diagnostics);

        var heads = new HeadData?[graph.Outputs.Count];
        if (plan is not null && targets is not null)
        {
            foreach (var head in plan.Heads)
            {
                var target = targets[head.Index];
                if (target is null) continue;
                var targetPointer = TargetPointer(data.Y!, head, JsonPointer.Append(pointer, "y"));
                heads[head.Index] = ConvertTargets(head, target, targetPointer, diagnostics, owned);
                if (weights?[head.Index] is { } weight && heads[head.Index] is { } headData)
                    headData.SampleWeight = ConvertSampleWeight(weight, n, JsonPointer.Append(pointer, "sample_weight"), diagnostics, owned);
            }
        }
        if (diagnostics.ErrorCount > errors)
        {
            foreach (var t in owned) t.Dispose();
            return null;
        }
        return new PreparedData(n, converted, heads, owned);
    }

    static string TargetPointer(NamedArrays y, OutputHead head, string basePointer)
    {
        if (y.IsNamed) return JsonPointer.Append(basePointer, head.Name);
        return y.Count == 1 ? basePointer : JsonPointer.Append(basePointer, head.Index);
    }

    static (Tensor Array, string Pointer)[]? MatchInputs(ModelGraph graph, NamedArrays x, string pointer, DiagnosticBag diagnostics)
    {
        var names = string.Join(", ", graph.Inputs.Select(i => $"'{i.Name}'"));
        var result = new (Tensor, string)[graph.Inputs.Count];
        if (!x.IsNamed)
        {
            if (x.Count != graph.Inputs.Count)
            {
                diagnostics.Error(pointer, $"The model has {graph.Inputs.Count} input{(graph.Inputs.Count == 1 ? "" : "s")} ({names}), but x gives {x.Count} array{(x.Count == 1 ? "" : "s")}.");
                return null;
            }
            for (int i = 0; i < x.Count; i++)
                result[i] = (x.Arrays[i], x.Count == 1 ? pointer : JsonPointer.Append(pointer, i));
            return result;
        }
        bool ok = true;
        for (int i = 0; i < x.Count; i++)
        {
            var input = graph.FindInput(x.Names![i]);
            if (input is null)
            {
                diagnostics.Error(JsonPointer.Append(pointer, x.Names[i]), $"'{x.Names[i]}' is not an input of the model. Inputs: {names}.");
                ok = false;
            }
            else result[input.Index] = (x.Arrays[i], JsonPointer.Append(pointer, x.Names[i]));
        }
        foreach (var input in graph.Inputs)
            if (!x.Names!.Contains(input.Name))
            {
                diagnostics.Error(pointer, $"Input '{input.Name}' is missing from x.");
                ok = false;
            }
        return ok ? result : null;
    }

    static Tensor?[]? MatchOutputs(TrainingPlan plan, NamedArrays arrays, string pointer, DiagnosticBag diagnostics, string what, IEnumerable<string> required)
    {
        var heads = plan.Heads;
        var names = string.Join(", ", heads.Select(h => $"'{h.Name}'"));
        var result = new Tensor?[heads.Count];
        if (!arrays.IsNamed)
        {
            if (arrays.Count != heads.Count)
            {
                diagnostics.Error(pointer, $"The model has {heads.Count} output{(heads.Count == 1 ? "" : "s")} ({names}), but {what} give{(arrays.Count == 1 ? "s" : "")} {arrays.Count} array{(arrays.Count == 1 ? "" : "s")}: give one per output, in that order, or a dict by output name.");
                return null;
            }
            for (int i = 0; i < arrays.Count; i++) result[i] = arrays.Arrays[i];
            return result;
        }
        bool ok = true;
        for (int i = 0; i < arrays.Count; i++)
        {
            var head = heads.FirstOrDefault(h => h.Name == arrays.Names![i]);
            if (head is null)
            {
                diagnostics.Error(JsonPointer.Append(pointer, arrays.Names![i]), $"'{arrays.Names[i]}' is not an output of the model. Outputs: {names}.");
                ok = false;
            }
            else result[head.Index] = arrays.Arrays[i];
        }
        foreach (var name in required)
            if (!arrays.Names!.Contains(name))
            {
                diagnostics.Error(pointer, $"Output '{name}' has a loss or metrics, but {what} have no array for it.");
                ok = false;
            }
        return ok ? result : null;
    }

    static Tensor?[]? MatchSampleWeights(TrainingPlan plan, NamedArrays weights, string pointer, DiagnosticBag diagnostics)
    {
        // One array weighs the samples of every output (Keras broadcasts it).
        if (!weights.IsNamed && weights.Count == 1) return Enumerable.Repeat<Tensor?>(weights.Arrays[0], plan.Heads.Count).ToArray();
        return MatchOutputs(plan, weights, pointer, diagnostics, "sample weights", []);
    }

    static Tensor ConvertInput(ModelGraph graph, GraphInput input, Tensor array, string pointer, DiagnosticBag diagnostics, List<Tensor> owned)
    {
        var shape = input.Info.Shape;
        if (!ShapeMatches(array, shape))
        {
            diagnostics.Error(pointer, $"Input '{input.Name}' takes arrays of shape {shape}, not {Describe(array)}.");
            return array;
        }
        if (!IsNumeric(array.dtype))
        {
            diagnostics.Error(pointer, $"Input '{input.Name}' takes numbers, not {array.dtype}.");
            return array;
        }
        if (input.Info.DType.IsInteger())
        {
            var declared = input.Info.DType == DType.Int32 ? ScalarType.Int32 : ScalarType.Int64;
            if (array.is_floating_point() && !AllIntegral(array))
            {
                diagnostics.Error(pointer, $"Input '{input.Name}' is {input.Info.DType.KerasName()}: its values must be whole numbers.");
                return array;
            }
            CheckVocabulary(graph, input, array, pointer, diagnostics);
            return Own(array.dtype == declared ? array : array.to_type(declared), array, owned);
        }
        if (array.is_floating_point() && !AllFinite(array))
        {
            diagnostics.Error(pointer, $"Input '{input.Name}' holds NaN or infinite values.");
            return array;
        }
        return Own(array.dtype == ScalarType.Float32 ? array : array.to_type(ScalarType.Float32), array, owned);
    }

    /// <summary>
    /// A graph with free sizes (sequences of any length) may still fail on the sizes the data has:
    /// posts too short for three poolings end with nothing to pool. Shape inference with the data's
    /// sizes finds that before training instead of deep inside torch at the first batch.
    /// </summary>
    static void CheckConcreteShapes(ModelGraph graph, (Tensor Array, string Pointer)[] inputs, DiagnosticBag diagnostics)
    {
        if (graph.Inputs.All(i => i.Info.Shape.IsFullyDefined)) return;
        var concrete = graph.Spec with
        {
            Inputs = graph.Spec.Inputs.Select((input, i) => input with { Shape = inputs[i].Array.shape.Skip(1).Select(d => (int?)(int)d).ToList() }).ToList(),
        };
        var findings = new DiagnosticBag();
        if (GraphBuilder.Build(concrete, findings, "") is not null) return;
        var sizes = string.Join(", ", graph.Inputs.Select((input, i) => $"{input.Name} {Describe(inputs[i].Array)}"));
        var free = inputs.Where((_, i) => !graph.Inputs[i].Info.Shape.IsFullyDefined).Select(x => x.Pointer).First();
        foreach (var finding in findings.Errors)
            diagnostics.Error(free, $"The model cannot run on inputs of these sizes ({sizes}): at node '{finding.Node}' ({finding.Pointer}): {finding.Message}");
    }

    /// <summary>An index outside an Embedding's vocabulary fails deep inside torch; say so before training instead.</summary>
    static void CheckVocabulary(ModelGraph graph, GraphInput input, Tensor array, string pointer, DiagnosticBag diagnostics)
    {
        var source = TensorSource.FromInput(input);
        foreach (var node in graph.ExecutionOrder)
        {
            if (node.Layer.Layer.Type != "Embedding" || !node.Inputs.Contains(source)) continue;
            if (node.Layer.Layer.Config["input_dim"] is not JsonValue v || !v.TryGetValue<long>(out var vocabulary)) continue;
            if (array.numel() == 0) return;
            var (min, max) = Range(array);
            if (min < 0 || max >= vocabulary)
                diagnostics.Error(pointer, $"Input '{input.Name}' feeds Embedding '{node.Layer.Name}' (input_dim {vocabulary}): its values must be in [0, {vocabulary - 1}], but they range over [{Format(min)}, {Format(max)}].");
            return;
        }
    }

    static HeadData? ConvertTargets(OutputHead head, Tensor target, string pointer, DiagnosticBag diagnostics, List<Tensor> owned)
    {
        var prediction = head.Output.Info.Shape;
        if (!IsNumeric(target.dtype))
        {
            diagnostics.Error(pointer, $"Targets of '{head.Name}' must be numbers, not {target.dtype}.");
            return null;
        }
        if (target.is_floating_point() && !AllFinite(target))
        {
            diagnostics.Error(pointer, $"Targets of '{head.Name}' hold NaN or infinite values.");
            return null;
        }
        var shapes = new HeadShapes((int)target.dim(), target.dim() > 0 ? target.shape[^1] : null, prediction.Rank, prediction.Last, head.Loss);
        var data = new HeadData(head, shapes);
        // Which forms the loss and metrics read: metrics resolve "accuracy" from these shapes.
        var readers = new List<(TargetForm Form, string Who)>();
        if (head.Loss is { } loss) readers.Add((loss.Target, $"loss {loss.Name}"));
        foreach (var spec in head.Metrics.Concat(head.WeightedMetrics))
        {
            using var metric = spec.Create(shapes);
            readers.Add((metric.Target, $"metric {spec.Name}"));
        }
        if (readers.Where(r => r.Form == TargetForm.Dense).Select(r => r.Who).FirstOrDefault() is { } denseReader)
            data.Dense = DenseTargets(head, target, pointer, denseReader, diagnostics, owned);
        if (readers.Where(r => r.Form == TargetForm.Labels).Select(r => r.Who).FirstOrDefault() is { } labelReader)
            data.Labels = LabelTargets(head, target, pointer, labelReader, diagnostics, owned);
        return data;
    }

    /// <summary>The prediction's shape; a (n,) array is read as (n, 1) for a one-unit head, as Keras expands it.</summary>
    static Tensor? DenseTargets(OutputHead head, Tensor target, string pointer, string reader, DiagnosticBag diagnostics, List<Tensor> owned)
    {
        var prediction = head.Output.Info.Shape;
        var t = target;
        if (t.dim() == prediction.Rank - 1 && prediction.Last == 1) t = t.unsqueeze(-1);
        if (!ShapeMatches(t, prediction))
        {
            var oneHot = prediction.Last is > 1 && target.dim() == prediction.Rank - 1
                ? $" These look like class ids: one-hot encode them (to_categorical) or use sparse_categorical_crossentropy."
                : prediction.Last is > 1 && target.dim() == prediction.Rank && target.shape[^1] != prediction.Last
                    ? $" A one-hot row of '{head.Name}' has {prediction.Last} columns, not {target.shape[^1]}."
                    : "";
            diagnostics.Error(pointer, $"Targets of '{head.Name}' must have its prediction's shape {prediction} for the {reader}, not {Describe(target)}.{oneHot}");
            if (!ReferenceEquals(t, target)) t.Dispose();
            return null;
        }
        var converted = t.to_type(ScalarType.Float32);
        if (!ReferenceEquals(t, target) && !ReferenceEquals(converted, t)) t.Dispose();
        return Own(converted, target, owned);
    }

    /// <summary>Class ids: the prediction's shape without its class axis, or with it as 1; whole numbers in [0, classes).</summary>
    static Tensor? LabelTargets(OutputHead head, Tensor target, string pointer, string reader, DiagnosticBag diagnostics, List<Tensor> owned)
    {
        var prediction = head.Output.Info.Shape;
        var labelShape = new Shape(prediction.Dims.Take(prediction.Rank - 1));
        var t = target;
        if (t.dim() == prediction.Rank && t.shape[^1] == 1) t = t.squeeze(-1);
        if (!ShapeMatches(t, labelShape))
        {
            diagnostics.Error(pointer, $"Targets of '{head.Name}' must be class ids of shape {labelShape} for the {reader}, not {Describe(target)}." +
                (target.dim() == prediction.Rank ? " One-hot targets go with categorical_crossentropy and categorical_accuracy." : ""));
            return null;
        }
        if (t.is_floating_point() && !AllIntegral(t))
        {
            diagnostics.Error(pointer, $"Targets of '{head.Name}' are class ids for the {reader}: they must be whole numbers.");
            return null;
        }
        if (t.numel() > 0)
        {
            var (min, max) = Range(t);
            if (min < 0 || (prediction.Last is int classes && max >= classes))
            {
                diagnostics.Error(pointer, $"Targets of '{head.Name}' are class ids for the {reader}: they must be in [0, {(prediction.Last is int c ? (c - 1).ToString(CultureInfo.InvariantCulture) : "classes")}], but they range over [{Format(min)}, {Format(max)}].");
                return null;
            }
        }
        return Own(t.to_type(ScalarType.Int64), target, owned);
    }

    static Tensor? ConvertSampleWeight(Tensor weight, long n, string pointer, DiagnosticBag diagnostics, List<Tensor> owned)
    {
        var w = weight.dim() == 2 && weight.shape[1] == 1 ? weight.squeeze(-1) : weight;
        if (w.dim() != 1 || !IsNumeric(w.dtype))
        {
            diagnostics.Error(pointer, $"Sample weights are one number per sample, shape ({n},), not {Describe(weight)}.");
            return null;
        }
        if (w.is_floating_point() && !AllFinite(w))
        {
            diagnostics.Error(pointer, "Sample weights hold NaN or infinite values.");
            return null;
        }
        return Own(w.to_type(ScalarType.Float32), weight, owned);
    }

    static Tensor Own(Tensor converted, Tensor original, List<Tensor> owned)
    {
        if (!ReferenceEquals(converted, original)) owned.Add(converted);
        return converted;
    }

    static bool ShapeMatches(Tensor array, Shape shape)
    {
        if (array.dim() != shape.Rank) return false;
        for (int axis = 1; axis < shape.Rank; axis++)
            if (shape[axis] is int size && array.shape[axis] != size) return false;
        return true;
    }

    static bool IsNumeric(ScalarType type) => type is not (ScalarType.Bool or ScalarType.ComplexFloat32 or ScalarType.ComplexFloat64);

    static bool AllFinite(Tensor array)
    {
        using var finite = array.isfinite();
        using var all = finite.all();
        return all.item<bool>();
    }

    static (double Min, double Max) Range(Tensor array)
    {
        using var scope = NewDisposeScope();
        return (array.min().to_type(ScalarType.Float64).item<double>(), array.max().to_type(ScalarType.Float64).item<double>());
    }

    static bool AllIntegral(Tensor array)
    {
        using var scope = NewDisposeScope();
        return array.eq(array.floor()).all().item<bool>();
    }

    static string Describe(Tensor array) =>
        "(" + string.Join(", ", array.shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + (array.dim() == 1 ? ",)" : ")");

    static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
