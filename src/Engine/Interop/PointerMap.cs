using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>
/// Where each part of a converted graph came from in the Keras file: "/nodes/3/config" ↔
/// "/config/layers/4/config". Errors the engine finds in the converted graph are reported at
/// the place in the file the user can fix (the longest matching prefix, with the rest kept).
/// </summary>
public sealed class PointerMap
{
    readonly Dictionary<string, string> sources = new(StringComparer.Ordinal);

    public void Add(string graphPointer, string sourcePointer) => sources[graphPointer] = sourcePointer;

    public string ToSource(string graphPointer)
    {
        for (var prefix = graphPointer; ; prefix = prefix[..prefix.LastIndexOf('/')])
        {
            if (sources.TryGetValue(prefix, out var source)) return source + graphPointer[prefix.Length..];
            if (prefix.Length == 0) return graphPointer;
        }
    }

    public GraphDiagnostic ToSource(GraphDiagnostic diagnostic) => diagnostic with { Pointer = ToSource(diagnostic.Pointer) };
}
