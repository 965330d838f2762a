using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>
/// A model file that cannot be imported, with every problem found: a pointer into the file
/// (a JSON pointer into its config, or an HDF5 path), the layer concerned, and why.
/// </summary>
public sealed class KerasImportException(IReadOnlyList<GraphDiagnostic> errors)
    : Exception(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} errors: " + string.Join("; ", errors))
{
    public KerasImportException(string pointer, string message, string? layer = null)
        : this([new GraphDiagnostic(Severity.Error, pointer, message, layer)])
    {
    }

    public IReadOnlyList<GraphDiagnostic> Errors { get; } = errors;
}
