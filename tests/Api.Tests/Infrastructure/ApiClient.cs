using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>The calls the tests make, as a client would make them.</summary>
public static class ApiClient
{
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<Guid> UploadAsync(this HttpClient client, byte[] file, string fileName)
    {
        var response = await client.PostAsync("/api/datasets", TestData.Upload(file, fileName));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static Task<Guid> UploadAsync(this HttpClient client, params NdArray[] arrays) => client.UploadAsync(TestData.Npz(arrays), "data.npz");

    public static async Task<(HttpStatusCode Status, JsonElement Body)> PostJsonAsync(this HttpClient client, string path, string json)
    {
        var response = await client.PostAsync(path, Json(json));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path) =>
        await client.GetFromJsonAsync<JsonElement>(path);

    /// <summary>Polls a run until it reaches one of the statuses (or fails the test after the timeout).</summary>
    public static async Task<JsonElement> WaitForRunAsync(this HttpClient client, Guid id, TimeSpan timeout, params string[] statuses)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await client.GetJsonAsync($"/api/runs/{id}");
            if (statuses.Contains(run.GetProperty("status").GetString())) return run;
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Run {id} did not reach {string.Join("/", statuses)} within {timeout}: {run}");
            await Task.Delay(50);
        }
    }

    public static string[] ErrorKeys(this JsonElement problem) =>
        problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();
}
