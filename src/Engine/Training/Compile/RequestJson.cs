using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Training.Compile;

internal static class RequestJson
{
    /// <summary>Parses settings sent as text; malformed JSON is a diagnostic like any other problem.</summary>
    public static JsonNode? Parse(string json, string what)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new GraphValidationException([new GraphDiagnostic(Severity.Error, "", $"The {what} are not valid JSON: {e.Message}")]);
        }
    }
}
