using System.Globalization;

namespace TrainService.Engine.Graph;

/// <summary>
/// A reference to a tensor as written in a graph: a node or input name, or "name:k" for output k
/// of a node with several outputs.
/// </summary>
public readonly record struct TensorRef(string Name, int Index)
{
    public static bool TryParse(string text, out TensorRef reference)
    {
        reference = default;
        if (string.IsNullOrEmpty(text)) return false;
        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            reference = new TensorRef(text, 0);
            return true;
        }
        if (colon == 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return false;
        reference = new TensorRef(text[..colon], index);
        return true;
    }

    public override string ToString() => Index == 0 ? Name : $"{Name}:{Index.ToString(CultureInfo.InvariantCulture)}";
}
