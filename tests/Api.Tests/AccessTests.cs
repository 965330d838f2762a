using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>
/// API keys and projects: no key, no access; a key of one project gets 404 for everything of
/// another on every route of the OpenAPI document and on the hub; admin keys manage keys and see
/// all; revoked keys stop working; the rate limit answers 429; an install without keys serves
/// loopback only.
/// </summary>
public sealed class AccessTests
{
    const string AdminKey = "admin-key-for-the-access-tests-0123456789abcdef";

    const string Graph = """
    { "inputs": [{"name": "features", "shape": [4]}],
      "nodes": [{"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["features"]}],
      "outputs": ["label"] }
    """;

    static readonly NdArray[] Data = [NdArray.Of("features", TestData.Floats(64 * 4, 1), 64, 4), NdArray.Of("label", TestData.Floats(64, 2), 64, 1)];

    static string RunRequest(Guid dataset, int epochs = 1, int batchSize = 32) =>
        $$$"""{"graph": {{{Graph}}}, "datasetId": "{{{dataset}}}", "compile": {"optimizer": "sgd", "loss": "mse"}, "fit": {"epochs": {{{epochs}}}, "batch_size": {{{batchSize}}}}}""";

    static HttpClient As(ServiceFactory service, string? key)
    {
        var client = service.CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    static async Task<string> CreateKeyAsync(HttpClient admin, string project)
    {
        var (status, body) = await admin.PostJsonAsync("/api/admin/keys", $$"""{"name": "{{project}} key", "project": "{{project}}"}""");
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(project, body.GetProperty("project").GetString());
        return body.GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task KeyOfOneProjectGetsNotFoundForEverythingOfAnotherOnEveryRoute()
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?> { ["TrainService:Access:AdminKey"] = AdminKey });
        var baseUrl = LiveMetricsTests.StartOnKestrel(service);
        using var anonymous = LiveMetricsTests.ClientOf(baseUrl);
        using var admin = LiveMetricsTests.ClientOf(baseUrl);
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        var noKey = await anonymous.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("Bearer", noKey.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Contains("API key", await noKey.Content.ReadAsStringAsync());

        var keyA = await CreateKeyAsync(admin, "alpha");
        var keyB = await CreateKeyAsync(admin, "beta");
        using var a = LiveMetricsTests.ClientOf(baseUrl);
        a.DefaultRequestHeaders.Add("X-Api-Key", keyA); // the other header works as well
        using var b = LiveMetricsTests.ClientOf(baseUrl);
        b.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keyB);
        Assert.Equal(HttpStatusCode.Forbidden, (await a.GetAsync("/api/admin/keys")).StatusCode);
        var keys = await admin.GetJsonAsync("/api/admin/keys");
        Assert.Equal(2, keys.GetArrayLength());
        Assert.DoesNotContain(keyA, keys.GetRawText());

        // Project alpha's graph, dataset and a finished run.
        var dataset = await a.UploadAsync(Data);
        var graph = (await a.PostJsonAsync("/api/graphs", Graph)).Body.GetProperty("id").GetGuid();
        var run = (await a.PostJsonAsync("/api/runs", RunRequest(dataset))).Body.GetProperty("id").GetGuid();
        await a.WaitForRunAsync(run, TimeSpan.FromSeconds(60), "succeeded");

        // Every route of the document that names a graph, dataset or run, with beta's key: 404.
        var document = await anonymous.GetJsonAsync("/openapi/v1.json");
        var tried = new List<string>();
        foreach (var path in document.GetProperty("paths").EnumerateObject().Where(p => p.Name.Contains("{id}") && !p.Name.StartsWith("/api/admin")))
        {
            var id = path.Name.StartsWith("/api/graphs") ? graph : path.Name.StartsWith("/api/datasets") ? dataset : run;
            Assert.True(path.Name.StartsWith("/api/graphs") || path.Name.StartsWith("/api/datasets") || path.Name.StartsWith("/api/runs"), path.Name);
            var url = path.Name.Replace("{id}", id.ToString()) + (path.Name.EndsWith("/export") ? "?format=tfjs" : "");
            foreach (var method in path.Value.EnumerateObject().Select(m => m.Name.ToUpperInvariant()))
            {
                var request = new HttpRequestMessage(new HttpMethod(method), url);
                if (method == "POST") request.Content = ApiClient.Json("""{"inputs": {"features": [[1, 2, 3, 4]]}, "targets": {"label": [[1]]}}""");
                var answer = await b.SendAsync(request);
                Assert.True(answer.StatusCode == HttpStatusCode.NotFound, $"{method} {path.Name} with another project's key: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
                if (method == "GET")
                    Assert.NotEqual(HttpStatusCode.NotFound, (await a.GetAsync(url)).StatusCode);
                tried.Add($"{method} {path.Name}");
            }
        }
        Assert.True(tried.Count >= 12, string.Join(", ", tried));

        // Lists and run requests naming another project's graph or dataset.
        Assert.Equal(0, (await b.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
        Assert.Equal(0, (await b.GetJsonAsync("/api/graphs")).GetArrayLength());
        Assert.Equal(0, (await b.GetJsonAsync("/api/datasets")).GetArrayLength());
        Assert.Equal(1, (await a.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
        Assert.Equal(1, (await admin.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
        var borrowed = await b.PostJsonAsync("/api/runs", RunRequest(dataset));
        Assert.Equal(HttpStatusCode.BadRequest, borrowed.Status);
        Assert.Contains("/datasetId", borrowed.Body.ErrorKeys());

        // The hub: beta's subscription to alpha's run is "not found", as over REST; alpha's works, with the key as browsers send it.
        await using (var beta = await LiveClient.ConnectAsync(baseUrl, apiKey: keyB))
        {
            var error = await Assert.ThrowsAsync<HubException>(() => beta.SubscribeAsync(run));
            Assert.Contains("was not found", error.Message);
        }
        await using (var alpha = await LiveClient.ConnectAsync(baseUrl, apiKey: keyA))
        {
            await alpha.SubscribeAsync(run);
            await alpha.WaitForAsync(e => e.RunId == run && LiveClient.IsStatus(e, "succeeded"), TimeSpan.FromSeconds(10));
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/hubs/training/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync($"/hubs/training/negotiate?negotiateVersion=1&access_token={keyA}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/runs?access_token={keyA}")).StatusCode);

        // The queue's dashboard is for admin keys.
        Assert.Equal(HttpStatusCode.Forbidden, (await a.GetAsync("/hangfire")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/hangfire")).StatusCode);

        // A revoked key stops working at once.
        var betaKeyId = (await admin.GetJsonAsync("/api/admin/keys")).EnumerateArray().Single(k => k.GetProperty("project").GetString() == "beta").GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await admin.DeleteAsync($"/api/admin/keys/{betaKeyId}")).StatusCode);
        var revoked = await b.GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("revoked", await revoked.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RateLimitAnswers429WithRetryAfterPerKey()
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?>
        {
            ["TrainService:Access:AdminKey"] = AdminKey,
            ["TrainService:Limits:RequestsPerMinute"] = "5",
        });
        var admin = As(service, AdminKey);
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++) statuses.Add((await admin.GetAsync("/api/graphs")).StatusCode);
        Assert.Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 5), HttpStatusCode.TooManyRequests], statuses);
        var limited = await admin.GetAsync("/api/graphs");
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single()) > 0);
        Assert.Contains("RequestsPerMinute", await limited.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LimitsAnswer400NamingTheField()
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?>
        {
            ["TrainService:Limits:MaxEpochs"] = "3",
            ["TrainService:Limits:MaxGraphNodes"] = "1",
            ["TrainService:Limits:MaxDatasetArrays"] = "2",
        });
        var client = service.CreateClient();
        var tooMany = await client.PostAsync("/api/datasets", TestData.Upload(TestData.Npz([.. Data, NdArray.Of("extra", TestData.Floats(4, 3), 4)]), "three.npz"));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("MaxDatasetArrays", await tooMany.Content.ReadAsStringAsync());
        Assert.Empty(service.StoredFiles());

        var dataset = await client.UploadAsync(Data);
        var epochs = await client.PostJsonAsync("/api/runs", RunRequest(dataset, epochs: 4));
        Assert.Equal(HttpStatusCode.BadRequest, epochs.Status);
        Assert.Contains("/fit/epochs", epochs.Body.ErrorKeys());

        var twoNodes = Graph.Replace("""{"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["features"]}""",
            """{"name": "hidden", "type": "Dense", "config": {"units": 2}, "inputs": ["features"]}, {"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["hidden"]}""");
        var nodes = await client.PostJsonAsync("/api/graphs", twoNodes);
        Assert.Equal(HttpStatusCode.BadRequest, nodes.Status);
        Assert.Contains("nodes", nodes.Body.GetRawText());
    }

    [Fact]
    public async Task ParameterValueAndSubscriptionLimitsAnswerWithTheirNames()
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?>
        {
            ["TrainService:Limits:MaxGraphParams"] = "4",
            ["TrainService:Limits:MaxDatasetElements"] = "300",
            ["TrainService:Limits:MaxSubscriptionsPerConnection"] = "1",
        });
        var baseUrl = LiveMetricsTests.StartOnKestrel(service);
        using var client = LiveMetricsTests.ClientOf(baseUrl);

        // Dense(1) on 4 features has 5 parameters.
        var graph = await client.PostJsonAsync("/api/graphs", Graph);
        Assert.Equal(HttpStatusCode.BadRequest, graph.Status);
        Assert.Contains("5", graph.Body.GetRawText());

        // 64 x 4 + 64 values = 320.
        var upload = await client.PostAsync("/api/datasets", TestData.Upload(TestData.Npz(Data), "data.npz"));
        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        Assert.Contains("MaxDatasetElements", await upload.Content.ReadAsStringAsync());

        // Two runs to follow; one connection may follow one.
        var small = new[] { NdArray.Of("features", TestData.Floats(8 * 3, 1), 8, 3), NdArray.Of("label", TestData.Floats(8, 2), 8, 1) };
        var dataset = await client.UploadAsync(small);
        var tiny = Graph.Replace("\"shape\": [4]", "\"shape\": [3]");
        var runs = new List<Guid>();
        for (int i = 0; i < 2; i++)
        {
            var created = await client.PostJsonAsync("/api/runs", RunRequest(dataset).Replace(Graph, tiny));
            Assert.True(created.Status == HttpStatusCode.Accepted, created.Body.ToString());
            runs.Add(created.Body.GetProperty("id").GetGuid());
        }
        await using var live = await LiveClient.ConnectAsync(baseUrl);
        await live.SubscribeAsync(runs[0]);
        var error = await Assert.ThrowsAsync<HubException>(() => live.SubscribeAsync(runs[1]));
        Assert.Contains("MaxSubscriptionsPerConnection", error.Message);
    }

    [Fact]
    public async Task ProjectTrainsAtMostItsLimitAtOnceAndTheRestWaitsQueued()
    {
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?>
        {
            ["TrainService:Access:AdminKey"] = AdminKey,
            ["TrainService:Limits:MaxRunningRunsPerProject"] = "1",
            // The test polls fast; the rate limit is another test's.
            ["TrainService:Limits:RequestsPerMinute"] = "100000",
            ["TrainService:Worker:Concurrency"] = "3",
        });
        var admin = As(service, AdminKey);
        var a = As(service, await CreateKeyAsync(admin, "alpha"));
        var b = As(service, await CreateKeyAsync(admin, "beta"));
        var longData = new[] { NdArray.Of("features", TestData.Floats(4096 * 4, 5), 4096, 4), NdArray.Of("label", TestData.Floats(4096, 6), 4096, 1) };
        var datasetA = await a.UploadAsync(longData);
        var datasetB = await b.UploadAsync(longData);
        var alpha = new List<Guid>();
        for (int i = 0; i < 2; i++) alpha.Add((await a.PostJsonAsync("/api/runs", RunRequest(datasetA, epochs: 4, batchSize: 2))).Body.GetProperty("id").GetGuid());
        var beta = (await b.PostJsonAsync("/api/runs", RunRequest(datasetB, epochs: 4, batchSize: 2))).Body.GetProperty("id").GetGuid();

        int mostAlphaAtOnce = 0;
        bool betaBesideAlpha = false;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var statuses = new Dictionary<Guid, string>();
            foreach (var id in alpha.Append(beta)) statuses[id] = (await admin.GetJsonAsync($"/api/runs/{id}")).GetProperty("status").GetString()!;
            int alphaRunning = alpha.Count(id => statuses[id] == "running");
            mostAlphaAtOnce = Math.Max(mostAlphaAtOnce, alphaRunning);
            betaBesideAlpha |= alphaRunning == 1 && statuses[beta] == "running";
            if (statuses.Values.All(s => s is "succeeded" or "failed")) break;
            await Task.Delay(30);
        }
        foreach (var id in alpha.Append(beta)) Assert.Equal("succeeded", (await admin.GetJsonAsync($"/api/runs/{id}")).GetProperty("status").GetString());
        Assert.Equal(1, mostAlphaAtOnce);
        Assert.True(betaBesideAlpha, "another project's run trains beside a full project's");
    }

    [Fact]
    public async Task InstallWithoutKeysRefusesToListenBeyondLoopbackAndKeysCommandMakesTheFirstKey()
    {
        var dataDir = Directory.CreateTempSubdirectory("trainservice-access-").FullName;
        var environment = new Dictionary<string, string> { ["TrainService__DataDir"] = dataDir, ["TrainService__Worker__Enabled"] = "false" };

        var (exit, output) = await RunApiAsync([], new(environment) { ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{TestData.FreePort()}" }, TimeSpan.FromSeconds(60));
        Assert.True(exit == 1, output);
        Assert.Contains("has no API keys", output);

        (exit, output) = await RunApiAsync(["keys", "create", "--name", "ci", "--project", "gamma"], environment, TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, output);
        var key = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ts_"));

        await using var service = new ServiceFactory(dataDir: dataDir);
        Assert.Equal(HttpStatusCode.Unauthorized, (await service.CreateClient().GetAsync("/api/runs")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await As(service, key).GetAsync("/api/runs")).StatusCode);
    }

    /// <summary>The API as an operator starts it (dotnet TrainService.Api.dll ARGS); its exit code and output.</summary>
    static async Task<(int, string)> RunApiAsync(string[] args, Dictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "TrainService.Api.dll"), .. args])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.Environment["DOTNET_ENVIRONMENT"] = start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out\n" + await stdout + await stderr);
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
