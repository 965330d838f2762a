using System.Net;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

public sealed class OpenApiTests : IAsyncLifetime
{
    readonly ServiceFactory service = new(settings: new Dictionary<string, string?> { ["TrainService:Worker:Enabled"] = "false" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await service.DisposeAsync();

    [Fact]
    public async Task EveryEndpointIsDocumentedWithItsErrors()
    {
        var client = service.CreateClient();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json")).RootElement;
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Path: path.Name, Method: op.Name, Operation: op.Value)))
            .ToList();
        var expected = new[]
        {
            "post /api/graphs/summary", "post /api/graphs", "get /api/graphs", "get /api/graphs/{id}", "get /api/graphs/schema",
            "post /api/graphs/import", "post /api/graphs/{id}/predict",
            "post /api/datasets", "get /api/datasets", "get /api/datasets/{id}", "delete /api/datasets/{id}",
            "post /api/runs", "get /api/runs", "get /api/runs/{id}", "get /api/runs/{id}/metrics", "get /api/runs/{id}/tensorboard", "post /api/runs/{id}/cancel",
            "get /api/runs/{id}/weights", "post /api/runs/{id}/predict", "post /api/runs/{id}/evaluate",
            "get /api/runs/{id}/export",
            "post /api/admin/keys", "get /api/admin/keys", "delete /api/admin/keys/{id}",
        };
        Assert.Equal(expected.Order(), operations.Select(o => $"{o.Method} {o.Path}").Order());
        foreach (var (path, method, operation) in operations)
        {
            var name = $"{method} {path}";
            Assert.False(string.IsNullOrWhiteSpace(operation.GetProperty("summary").GetString()), name);
            var responses = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
            Assert.Contains(responses, r => r.StartsWith('2'));
            if (operation.TryGetProperty("requestBody", out var body))
            {
                Assert.Contains("400", responses);
                Assert.NotEmpty(body.GetProperty("content").EnumerateObject());
            }
            if (path.Contains("{id}")) Assert.Contains("404", responses);
        }
        Assert.Contains("413", operations.Single(o => o.Path == "/api/datasets" && o.Method == "post").Operation.GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.Contains("415", operations.Single(o => o.Path == "/api/datasets" && o.Method == "post").Operation.GetProperty("responses").EnumerateObject().Select(r => r.Name));
        Assert.Contains("409", operations.Single(o => o.Path == "/api/runs/{id}/cancel").Operation.GetProperty("responses").EnumerateObject().Select(r => r.Name));
    }

    [Fact]
    public async Task ReferenceUiAndDashboardAreServed()
    {
        var client = service.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/hangfire")).StatusCode);
    }
}
