using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Api.Runs;

/// <summary>The compile and fit settings a run is queued with: checked here, in Keras's words.</summary>
public sealed record TrainingSettings(int Epochs, int BatchSize)
{
    public static TrainingSettings? Check(JsonObject compile, JsonObject fit, DiagnosticBag diagnostics)
    {
        int errors = diagnostics.ErrorCount;
        if (compile["loss"] is null) diagnostics.Error("/compile/loss", "Required: the loss (a name, a list in output order, or a dict by output name).");
        int epochs = PositiveInt(fit, "epochs", 1, diagnostics);
        int batchSize = PositiveInt(fit, "batch_size", 32, diagnostics);
        return diagnostics.ErrorCount > errors ? null : new TrainingSettings(epochs, batchSize);
    }

    static int PositiveInt(JsonObject fit, string key, int fallback, DiagnosticBag diagnostics)
    {
        if (fit[key] is null) return fallback;
        if (fit[key] is JsonValue v && v.TryGetValue<int>(out var value) && value >= 1) return value;
        diagnostics.Error("/fit/" + key, $"{key} is a whole number of at least 1.");
        return fallback;
    }
}
