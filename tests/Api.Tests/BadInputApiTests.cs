using System.Net;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

/// <summary>Request bodies the fuzzers found crashing parsers, sent over HTTP: each is a 400 naming the problem, never a 500.</summary>
public sealed class BadInputApiTests
{
    const string Graph = """{"inputs": [{"name": "x", "shape": [4]}], "nodes": [{"name": "y", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]}], "outputs": ["y"]}""";

    public static TheoryData<string, string, string> Bodies => new()
    {
        { "duplicate keys", Graph.Replace("\"outputs\": [\"y\"]", "\"outputs\": [\"y\"], \"outputs\": [\"x\"]"), "outputs" },
        { "half a surrogate pair", Graph.Replace("\"name\": \"y\"", "\"name\": \"\\ud800\""), "not text" },
        { "dtype policy without a config", Graph.Replace("{\"units\": 1}", "{\"units\": 1, \"dtype\": {\"class_name\": \"DTypePolicy\", \"config\": 7}}"), "dtype" },
        { "nesting past 64 levels", new string('[', 100) + new string(']', 100), "depth" },
        { "initializer mode that is not text", Graph.Replace("{\"units\": 1}", "{\"units\": 1, \"kernel_initializer\": {\"class_name\": \"VarianceScaling\", \"config\": {\"mode\": 3}}}"), "kernel_initializer" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task HostileGraphBodiesAreA400ThatSaysWhy(string kind, string body, string named)
    {
        var logs = new ObservabilityTests.ScopedLogs();
        await using var service = new ServiceFactory(logging: logs);
        var (status, problem) = await service.CreateClient().PostJsonAsync("/api/graphs/summary", body);
        Assert.True(status == HttpStatusCode.BadRequest, $"{kind}: {(int)status} {problem}\n{string.Join("\n", logs.Lines.Select(l => l.Message))}");
        Assert.Contains(named, problem.GetRawText());
    }
}
