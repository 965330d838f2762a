using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

public sealed class GraphsApiTests : IAsyncLifetime
{
    readonly ServiceFactory service = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await service.DisposeAsync();

    const string Mlp = """
    { "name": "mlp",
      "inputs": [{"name": "x", "shape": [64]}],
      "nodes": [
        {"name": "h1", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["x"]},
        {"name": "h2", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["h1"]},
        {"name": "out", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["h2"]}],
      "outputs": ["out"] }
    """;

    static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Fact]
    public async Task SummaryOfTheSeedMlp()
    {
        var client = service.CreateClient();
        var response = await client.PostAsync("/api/graphs/summary", Json(Mlp));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var summary = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("mlp", summary.GetProperty("name").GetString());
        // Keras: 64*32+32 + 32*32+32 + 32*10+10 = 2080 + 1056 + 330.
        Assert.Equal(3466, summary.GetProperty("totalParams").GetInt64());
        Assert.Equal(3466, summary.GetProperty("trainableParams").GetInt64());
        Assert.Equal(0, summary.GetProperty("nonTrainableParams").GetInt64());
        var layers = summary.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(["x", "h1", "h2", "out"], layers.Select(l => l.GetProperty("name").GetString()));
        Assert.Equal("(None, 10)", layers[3].GetProperty("outputShape").GetString());
        Assert.Equal(330, layers[3].GetProperty("params").GetInt64());
        Assert.Equal(["h2[0][0]"], layers[3].GetProperty("connectedTo").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("Total params: 3,466", summary.GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Array, summary.GetProperty("warnings").ValueKind);
    }

    [Fact]
    public async Task InvalidGraphGetsEveryErrorByPointer()
    {
        var client = service.CreateClient();
        var response = await client.PostAsync("/api/graphs/summary", Json("""
        { "inputs": [{"name": "x", "shape": [4]}],
          "nodes": [
            {"name": "d", "type": "Dense", "config": {"units": -3}, "inputs": ["x"]},
            {"name": "e", "type": "NoSuchLayer", "config": {}, "inputs": ["nowhere"]}],
          "outputs": ["d"] }
        """));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("/nodes/0/config/units", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("/nodes/1/type", out _), errors.ToString());
    }

    [Theory]
    [InlineData("{ not json", "")]
    [InlineData("[1, 2]", "")]
    public async Task MalformedBodiesAre400(string body, string pointer)
    {
        var response = await service.CreateClient().PostAsync("/api/graphs/summary", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(pointer, out _), problem.ToString());
    }

    [Fact]
    public async Task StoredGraphsRoundTrip()
    {
        var client = service.CreateClient();
        var created = await client.PostAsync("/api/graphs", Json(Mlp));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        Assert.Equal($"/api/graphs/{id}", created.Headers.Location?.ToString());
        Assert.Equal(3466, body.GetProperty("summary").GetProperty("totalParams").GetInt64());

        var fetched = await client.GetFromJsonAsync<JsonElement>($"/api/graphs/{id}");
        Assert.Equal("mlp", fetched.GetProperty("graph").GetProperty("name").GetString());
        Assert.Equal(3, fetched.GetProperty("graph").GetProperty("nodes").GetArrayLength());
        var list = await client.GetFromJsonAsync<JsonElement>("/api/graphs");
        Assert.Contains(list.EnumerateArray(), g => g.GetProperty("id").GetGuid() == id);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/graphs/{Guid.NewGuid()}")).StatusCode);
    }

    [Fact]
    public async Task SchemaIsServed()
    {
        var response = await service.CreateClient().GetAsync("/api/graphs/schema");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/schema+json", response.Content.Headers.ContentType?.MediaType);
        var schema = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", schema.GetProperty("$schema").GetString());
    }

    [Fact]
    public async Task EveryExampleGraphIsSummarized()
    {
        var client = service.CreateClient();
        var examples = Path.Combine(TestData.RepositoryRoot(), "examples");
        var summarized = new List<string>();
        foreach (var file in Directory.GetFiles(examples, "*.json"))
        {
            var response = await client.PostAsync("/api/graphs/summary", Json(await File.ReadAllTextAsync(file)));
            var body = await response.Content.ReadAsStringAsync();
            // Layers that other branches are adding may still be missing; those are 400s naming the type.
            if (response.StatusCode == HttpStatusCode.BadRequest && body.Contains("unknown layer type", StringComparison.Ordinal)) continue;
            // A listing kept as printed may be one the chapter got wrong (examples/README.md): a 400 with pointers.
            if (file.EndsWith("-as-printed.json", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.BadRequest)
            {
                Assert.NotEmpty(JsonDocument.Parse(body).RootElement.GetProperty("errors").EnumerateObject());
                continue;
            }
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{Path.GetFileName(file)}: {body}");
            summarized.Add(Path.GetFileName(file));
        }
        Assert.Contains("mlp.json", summarized);
    }
}
