using TrainService.Engine.Graph;

namespace TrainService.Engine.Layers;

/// <summary>Where a layer reports that it cannot be called on the shapes it was given.</summary>
public sealed class ShapeCheck(DiagnosticBag diagnostics, string pointer, string node)
{
    public string Node => node;

    public bool Failed { get; private set; }

    /// <summary>Reports an error at the node's inputs; returns null so that callers can `return check.Fail(...)`.</summary>
    public IReadOnlyList<TensorInfo>? Fail(string message)
    {
        Failed = true;
        diagnostics.Error(pointer, $"Node '{node}': {message}", node);
        return null;
    }

    public void Warn(string message) => diagnostics.Warning(pointer, $"Node '{node}': {message}", node);
}
