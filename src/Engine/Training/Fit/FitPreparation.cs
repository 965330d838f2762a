using TrainService.Engine.Graph;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;

namespace TrainService.Engine.Training.Fit;

/// <summary>
/// Everything fit checks before its first batch, without a model: the data against the graph and
/// compile settings, the validation split, class weights, and what callbacks monitor. The service
/// can run it when a run is submitted and answer 400 naming the fields, long before a worker trains.
/// </summary>
public static class FitPreparation
{
    /// <summary>True when fit would start with this data and these settings; otherwise the reasons are in <paramref name="diagnostics"/>.</summary>
    public static bool Check(ModelGraph graph, TrainingPlan plan, FitData data, FitOptions options, DiagnosticBag diagnostics)
    {
        using var prepared = Prepare(graph, plan, data, options, diagnostics);
        return prepared is not null;
    }

    internal static PreparedFit? Prepare(ModelGraph graph, TrainingPlan plan, FitData data, FitOptions options, DiagnosticBag diagnostics)
    {
        int errors = diagnostics.ErrorCount;
        var all = DataPreparation.Prepare(graph, plan, data, diagnostics, "", requireTargets: true);
        var separateValidation = data.Validation is null ? null
            : DataPreparation.Prepare(graph, plan, data.Validation, diagnostics, "/validation_data", requireTargets: true);
        var prepared = new PreparedFit(all, separateValidation);
        if (all is null || diagnostics.ErrorCount > errors)
        {
            prepared.Dispose();
            return null;
        }
        if (separateValidation is null && options.ValidationSplit > 0)
        {
            // Keras: the last floor(n·split) samples, before any shuffling.
            var splitAt = (long)Math.Floor(all.Count * (1.0 - options.ValidationSplit));
            if (splitAt == 0 || splitAt == all.Count)
                diagnostics.Error(JsonPointer.Append(options.Pointer, "validation_split"),
                    $"validation_split {options.ValidationSplit} of {all.Count} samples leaves {(splitAt == 0 ? "nothing to train on" : "nothing to validate on")}.");
            else
                prepared.UseSplit(all.Split(splitAt));
        }
        ApplyClassWeights(plan, options, data, prepared.Training, diagnostics);
        prepared.LogNames = LogNames(plan, prepared.Validation is not null, options.Callbacks);
        foreach (var callback in options.Callbacks) callback.Validate(plan, prepared.LogNames, diagnostics);
        if (diagnostics.ErrorCount > errors)
        {
            prepared.Dispose();
            return null;
        }
        return prepared;
    }

    static List<string> LogNames(TrainingPlan plan, bool validation, IEnumerable<Callback> callbacks)
    {
        var names = plan.MetricsNames.ToList();
        if (validation) names.AddRange(plan.MetricsNames.Select(n => "val_" + n));
        names.AddRange(callbacks.SelectMany(c => c.AddedLogNames).Distinct());
        return names;
    }

    static void ApplyClassWeights(TrainingPlan plan, FitOptions options, FitData data, PreparedData training, DiagnosticBag diagnostics)
    {
        if (options.ClassWeight is not { } classWeight) return;
        var pointer = JsonPointer.Append(options.Pointer, "class_weight");
        if (data.SampleWeight is not null)
        {
            diagnostics.Error(pointer, "Give class_weight or sample weights, not both (Keras's rule).");
            return;
        }
        int errors = diagnostics.ErrorCount;
        var byOutput = new Dictionary<string, IReadOnlyDictionary<long, double>>(StringComparer.Ordinal);
        foreach (var (output, weights) in classWeight)
        {
            var head = options.ClassWeightIsFlat
                ? plan.Heads.Count == 1 ? plan.Heads[0] : null
                : plan.Heads.FirstOrDefault(h => h.Name == output);
            if (head is null)
            {
                diagnostics.Error(options.ClassWeightIsFlat ? pointer : JsonPointer.Append(pointer, output), options.ClassWeightIsFlat
                    ? $"The model has {plan.Heads.Count} outputs: give class_weight by output name, {{\"{plan.Heads[0].Name}\": {{\"0\": 1.0, ...}}}}."
                    : $"class_weight names '{output}', which is not an output of the model. Outputs: {string.Join(", ", plan.Heads.Select(h => $"'{h.Name}'"))}.");
                continue;
            }
            if (head.Output.Info.Shape.Rank > 2)
            {
                diagnostics.Error(pointer, $"class_weight needs one class per sample; output '{head.Name}' has shape {head.Output.Info.Shape}.");
                continue;
            }
            byOutput[head.Name] = weights;
        }
        if (diagnostics.ErrorCount == errors) training.ApplyClassWeights(byOutput);
    }
}

/// <summary>Fit's data, checked and converted: the training part, the validation part if any, and the names the epochs will log.</summary>
internal sealed class PreparedFit(PreparedData? all, PreparedData? separateValidation) : IDisposable
{
    PreparedData? splitTraining;
    PreparedData? splitValidation;

    public PreparedData Training => splitTraining ?? all!;

    public PreparedData? Validation => splitValidation ?? separateValidation;

    public IReadOnlyList<string> LogNames { get; set; } = [];

    public void UseSplit((PreparedData Training, PreparedData Validation) split) => (splitTraining, splitValidation) = split;

    public void Dispose()
    {
        // The split's views first, then the tensors they view.
        splitTraining?.Dispose();
        splitValidation?.Dispose();
        all?.Dispose();
        separateValidation?.Dispose();
    }
}
