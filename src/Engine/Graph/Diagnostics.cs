namespace TrainService.Engine.Graph;

public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// One finding about a graph: where (a JSON pointer into the request, and the node when there is
/// one) and what.
/// </summary>
public sealed record GraphDiagnostic(Severity Severity, string Pointer, string Message, string? Node = null)
{
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()} at {(Pointer.Length == 0 ? "/" : Pointer)}: {Message}";
}

/// <summary>Collects errors and warnings so that a client sees all of them at once.</summary>
public sealed class DiagnosticBag
{
    readonly List<GraphDiagnostic> items = [];

    public IReadOnlyList<GraphDiagnostic> All => items;

    public IEnumerable<GraphDiagnostic> Errors => items.Where(d => d.Severity == Severity.Error);

    public IEnumerable<GraphDiagnostic> Warnings => items.Where(d => d.Severity == Severity.Warning);

    public bool HasErrors => items.Any(d => d.Severity == Severity.Error);

    public int ErrorCount => items.Count(d => d.Severity == Severity.Error);

    public void Error(string pointer, string message, string? node = null) =>
        items.Add(new GraphDiagnostic(Severity.Error, pointer, message, node));

    public void Warning(string pointer, string message, string? node = null) =>
        items.Add(new GraphDiagnostic(Severity.Warning, pointer, message, node));

    public void AddRange(IEnumerable<GraphDiagnostic> diagnostics) => items.AddRange(diagnostics);
}

/// <summary>Thrown where a caller asked for a valid graph and got errors.</summary>
public sealed class GraphValidationException(IReadOnlyList<GraphDiagnostic> errors)
    : Exception(FormatMessage(errors))
{
    public IReadOnlyList<GraphDiagnostic> Errors { get; } = errors;

    static string FormatMessage(IReadOnlyList<GraphDiagnostic> errors) =>
        errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} errors: " + string.Join("; ", errors);
}

/// <summary>JSON pointer helpers (RFC 6901).</summary>
public static class JsonPointer
{
    public static string Append(string pointer, string token) =>
        pointer + "/" + token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Append(string pointer, int index) =>
        pointer + "/" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
