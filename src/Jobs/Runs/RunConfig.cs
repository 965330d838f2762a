using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace TrainService.Jobs.Runs;

/// <summary>
/// What a run trains with, as accepted (defaults filled in): which dataset array feeds each graph
/// input and each output's target, and compile and fit settings in Keras's words. InitialWeights
/// "graph" starts from the graph's initial weights (an imported model's) instead of Keras's initializers.
/// </summary>
public sealed record RunConfig(
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyDictionary<string, string> Targets,
    JsonObject Compile,
    JsonObject Fit,
    string? InitialWeights = null)
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static RunConfig Deserialize(string json) => JsonSerializer.Deserialize<RunConfig>(json, Json)!;

    /// <summary>The dataset arrays the run reads.</summary>
    [JsonIgnore]
    public IReadOnlyCollection<string> ArrayNames => Inputs.Values.Concat(Targets.Values).ToHashSet();
}
