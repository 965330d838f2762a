using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Fit;

namespace TrainService.Api.Runs;

/// <summary>
/// A run's compile and fit settings read by the training engine's own parsers (so the service
/// accepts exactly what the engine trains), and compile resolved against the graph: a loss or
/// metric dict that names no output, an unknown optimizer, a bad callback are 400s before queuing.
/// </summary>
public sealed record TrainingSettings(CompileOptions Compile, FitOptions Fit, TrainingPlan? Plan)
{
    public int Epochs => Fit.Epochs;

    public int BatchSize => Fit.BatchSize;

    /// <param name="runDirectory">Where ModelCheckpoint callbacks would write (the parser checks their paths stay inside).</param>
    public static TrainingSettings? Check(ModelGraph? graph, JsonObject compile, JsonObject fit, string runDirectory, DiagnosticBag diagnostics)
    {
        int errors = diagnostics.ErrorCount;
        var compileOptions = CompileOptions.Parse(compile, diagnostics, "/compile");
        var fitOptions = FitOptions.Parse(fit, diagnostics, "/fit", runDirectory);
        var plan = graph is null || compileOptions is null ? null : TrainingPlan.Resolve(graph, compileOptions, diagnostics);
        return diagnostics.ErrorCount > errors || compileOptions is null || fitOptions is null
            ? null
            : new TrainingSettings(compileOptions, fitOptions, plan);
    }
}
