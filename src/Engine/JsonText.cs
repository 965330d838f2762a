using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;

namespace TrainService.Engine;

public static class JsonText
{
    /// <summary>
    /// The parsed document, checked to hold only text: JSON lets a string escape half of a UTF-16
    /// surrogate pair ("\ud800"), which reads back as no string at all and would throw wherever it is
    /// read or written later. Such a document is refused here, as malformed JSON is.
    /// </summary>
    public static JsonNode? EnsureText(this JsonNode? node)
    {
        try
        {
            node?.ToJsonString();
            return node;
        }
        catch (InvalidOperationException e)
        {
            throw new System.Text.Json.JsonException($"A string in it is not text: {e.Message}");
        }
    }

    /// <summary>
    /// The value as a string, or false when it is not one. Unlike TryGetValue&lt;string&gt;, also false
    /// (rather than a throw) for a string that escapes half a surrogate pair ("\ud800"): valid JSON
    /// syntax, but no text.
    /// </summary>
    public static bool TryGetText(this JsonValue value, [NotNullWhen(true)] out string? text)
    {
        try
        {
            return value.TryGetValue(out text);
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }
}
