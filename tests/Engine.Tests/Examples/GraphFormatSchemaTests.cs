using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;

namespace TrainService.Engine.Tests.Examples;

/// <summary>The embedded JSON Schema agrees with the engine: its layer types, the examples, the fixtures.</summary>
public class GraphFormatSchemaTests
{
    static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromText(GraphFormat.SchemaJson));

    static string? Problems(JsonNode instance)
    {
        using var document = JsonDocument.Parse(instance.ToJsonString());
        var results = Schema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return null;
        return string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));
    }

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    [Fact]
    public void SchemaIsDraft202012AndValidAgainstItsMetaSchema()
    {
        var schema = GraphFormat.Schema();
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema["$schema"]!.GetValue<string>());
        using var document = JsonDocument.Parse(GraphFormat.SchemaJson);
        var results = MetaSchemas.Draft202012.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(results.IsValid);
    }

    [Fact]
    public void LayerTypesAreTheRegistrysAndLimitsTheDefaults()
    {
        var definitions = GraphFormat.Schema()["$defs"]!;
        Assert.Equal(LayerRegistry.Names, definitions["layerType"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Contains("Model", LayerRegistry.Names);
        Assert.Contains("Functional", LayerRegistry.Names);
        Assert.Equal(GraphLimits.Default.MaxNodes, definitions["graph"]!["properties"]!["nodes"]!["maxItems"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(ExampleGraphs.FileData), MemberType = typeof(ExampleGraphs))]
    public void EveryExampleIsValid(string file)
    {
        Assert.Null(Problems(ExampleGraphs.LoadKnown(file)));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void EveryKerasFixtureGraphIsValid(string file)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "keras", file)))!;
        Assert.Null(Problems(fixture["graph"]!));
    }

    [Theory]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [], "outputs": ["x"], "colour": "red"}""", "/colour")]
    [InlineData("""{"inputs": [], "outputs": ["x"]}""", "/inputs")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [0]}], "outputs": ["x"]}""", "/inputs/0/shape/0")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4], "dtype": "float16"}], "outputs": ["x"]}""", "/inputs/0/dtype")]
    [InlineData("""{"inputs": [{"name": "-x", "shape": [4]}], "outputs": ["x"]}""", "/inputs/0/name")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "d", "type": "Dense", "share": "e", "inputs": ["x"]}], "outputs": ["d"]}""", "/nodes/0/share")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "d", "type": "Dence", "inputs": ["x"]}], "outputs": ["d"]}""", "/nodes/0/type")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "m", "type": "Model", "config": {}, "inputs": ["x"]}], "outputs": ["m"]}""", "/nodes/0/config")]
    [InlineData("""{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "m", "type": "Model", "config": {"graph": {"inputs": [{"name": "y", "shape": [4]}], "outputs": ["y:x"]}}, "inputs": ["x"]}], "outputs": ["m"]}""", "/nodes/0/config/graph/outputs")]
    public void SchemaRefusesMalformedGraphs(string json, string location)
    {
        var problems = Problems(JsonNode.Parse(json)!);
        Assert.NotNull(problems);
        Assert.Contains(location, problems.Split('\n').Select(p => p[..p.IndexOf(": ", StringComparison.Ordinal)]));
    }
}
