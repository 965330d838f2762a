using System.Diagnostics;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TrainService.Api.Tests;

/// <summary>
/// The dashboard in a real browser: Debian's Chromium driven by playwright-core (Browser/dashboard.mjs)
/// against the API on a real port. A user uploads a dataset, submits an invalid graph and sees the
/// error next to the field, starts the seed's three-head model and watches its charts grow epoch by
/// epoch, sees the graph drawn, the runs table and a comparison. Screenshots are kept under
/// TestResults/dashboard (the path is printed).
/// </summary>
public sealed class DashboardBrowserTests(ITestOutputHelper output)
{
    const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task UserTrainsTheMultiOutputModelAndWatchesItLiveInTheBrowser()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: apt-get install chromium chromium-driver (.ci/run does).");
        var root = TestData.RepositoryRoot();
        var screenshots = Directory.CreateDirectory(Path.Combine(root, "TestResults", "dashboard")).FullName;
        await using var service = new ServiceFactory();
        var baseUrl = LiveMetricsTests.StartOnKestrel(service);
        using var client = LiveMetricsTests.ClientOf(baseUrl);

        // A finished run to compare the new one with.
        var dataset = await client.UploadAsync(LiveMetricsTests.ThreeHeadsData(256));
        var other = (await client.PostJsonAsync("/api/runs", LiveMetricsTests.ThreeHeadsRequest(dataset, epochs: 2))).Body.GetProperty("id").GetGuid();
        await client.WaitForRunAsync(other, TimeSpan.FromSeconds(60), "succeeded");

        var work = Directory.CreateTempSubdirectory("trainservice-browser-").FullName;
        var datasetFile = Path.Combine(work, "posts-small.npz");
        await File.WriteAllBytesAsync(datasetFile, TestData.Npz(LiveMetricsTests.ThreeHeadsData(2048)));
        var graph = JsonDocument.Parse(LiveMetricsTests.ThreeHeads).RootElement;
        var request = JsonDocument.Parse(LiveMetricsTests.ThreeHeadsRequest(Guid.Empty, 3)).RootElement;
        var invalid = LiveMetricsTests.ThreeHeads.Replace("\"units\": 3,", "\"units\": \"three\",");
        Assert.NotEqual(LiveMetricsTests.ThreeHeads, invalid);
        var config = Path.Combine(work, "config.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            baseUrl,
            chromium = Chromium,
            dashboardDir = Path.Combine(root, "src", "Dashboard"),
            screenshots,
            datasetFile,
            graph = graph.GetRawText(),
            invalidGraph = invalid,
            compile = request.GetProperty("compile"),
            epochs = 3,
            otherRunId = other,
            qaDataset = Path.Combine(root, "examples", "data", "qa.npz"),
        }));

        var (exitCode, text) = await RunNodeAsync(Path.Combine(root, "tests", "Api.Tests", "Browser", "dashboard.mjs"), config);
        output.WriteLine(text);
        output.WriteLine($"Screenshots: {screenshots}");
        var resultLine = text.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.True(exitCode == 0 && resultLine is not null, text);
        var result = JsonDocument.Parse(resultLine![7..]).RootElement;

        Assert.Equal(["age float32 (2048, 1)", "gender float32 (2048, 1)", "income int64 (2048)", "posts float32 (2048, 8)"],
            result.GetProperty("arrays").EnumerateArray().Select(a => a.GetString()!).Order());
        var graphError = Assert.Single(result.GetProperty("graphErrors").EnumerateArray());
        Assert.Equal("/graph/nodes/2/config/units", graphError.GetProperty("pointer").GetString());
        Assert.Equal("succeeded", result.GetProperty("status").GetString());
        foreach (var head in new[] { "total", "age", "income", "gender" })
        {
            var seen = result.GetProperty($"epochsSeen_{head}").EnumerateArray().Select(e => e.GetInt32()).ToList();
            Assert.Equal(3, seen.Max());
            Assert.True(seen.Count >= 2, $"{head}'s chart was seen only at epochs {string.Join(", ", seen)}: it did not grow live");
        }
        var charts = result.GetProperty("charts").EnumerateArray().ToDictionary(c => c.GetProperty("head").GetString()!, c => c.GetProperty("series").EnumerateArray().Select(s => s.GetString()).ToList());
        Assert.Equal(["loss", "mae", "val_loss", "val_mae"], charts["age"].Order());
        Assert.Equal(["acc", "loss", "val_acc", "val_loss"], charts["income"].Order());
        Assert.Equal(["posts", "trunk", "age", "income", "gender"], result.GetProperty("diagramNodes").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(4, result.GetProperty("diagramEdges").GetInt32());
        Assert.True(result.GetProperty("summaryHasTotal").GetBoolean());
        Assert.True(result.GetProperty("inceptionNodes").GetInt32() >= 9, "the Inception example's branches are drawn");
        Assert.StartsWith("Valid", result.GetProperty("inceptionCheck").GetString());
        Assert.Contains("succeeded", result.GetProperty("runRow").GetString());
        Assert.Equal(2, result.GetProperty("compareSeries").GetInt32());
        // The browser logs the invalid run request's 400 itself; nothing else may go wrong.
        Assert.DoesNotContain(result.GetProperty("consoleErrors").EnumerateArray().Select(e => e.GetString()!), e => !e.Contains("status of 400"));
        Assert.Empty(result.GetProperty("externalRequests").EnumerateArray());
        // The README's new user: the QA example trained from the dashboard's defaults (rmsprop, sparse categorical crossentropy, acc).
        var qaCharts = result.GetProperty("qaCharts").EnumerateArray().ToList();
        Assert.Equal(["answer", "total"], qaCharts.Select(c => c.GetProperty("head").GetString()).Order());
        var qa = qaCharts.Single(c => c.GetProperty("head").GetString() == "answer");
        Assert.Equal(2, qa.GetProperty("epochs").GetInt32());
        Assert.Equal(["acc", "loss", "val_acc", "val_loss"], qa.GetProperty("series").EnumerateArray().Select(s => s.GetString()).Order());
        foreach (var name in new[] { "new-run-invalid-graph", "run-live", "inception-diagram", "runs", "compare", "qa-run" })
            Assert.True(new FileInfo(Path.Combine(screenshots, name + ".png")).Length > 10_000, name);
    }

    [Fact]
    public async Task DashboardSignsInWithAKeyThatStaysOutOfPageUrls()
    {
        Assert.True(File.Exists(Chromium), "Chromium is missing: apt-get install chromium chromium-driver (.ci/run does).");
        var root = TestData.RepositoryRoot();
        var screenshots = Directory.CreateDirectory(Path.Combine(root, "TestResults", "dashboard")).FullName;
        const string adminKey = "admin-key-for-the-dashboard-sign-in-test-0123456789";
        await using var service = new ServiceFactory(settings: new Dictionary<string, string?> { ["TrainService:Access:AdminKey"] = adminKey });
        var baseUrl = LiveMetricsTests.StartOnKestrel(service);
        using var admin = LiveMetricsTests.ClientOf(baseUrl);
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        var key = (await admin.PostJsonAsync("/api/admin/keys", """{"name": "browser", "project": "delta"}""")).Body.GetProperty("key").GetString()!;
        using var client = LiveMetricsTests.ClientOf(baseUrl);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        var dataset = await client.UploadAsync(LiveMetricsTests.ThreeHeadsData(128));
        var run = (await client.PostJsonAsync("/api/runs", LiveMetricsTests.ThreeHeadsRequest(dataset, epochs: 2))).Body.GetProperty("id").GetGuid();
        await client.WaitForRunAsync(run, TimeSpan.FromSeconds(60), "succeeded");

        var config = Path.Combine(Directory.CreateTempSubdirectory("trainservice-browser-").FullName, "config.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            baseUrl, chromium = Chromium, dashboardDir = Path.Combine(root, "src", "Dashboard"), screenshots, key, runId = run,
        }));
        var (exitCode, text) = await RunNodeAsync(Path.Combine(root, "tests", "Api.Tests", "Browser", "signin.mjs"), config);
        output.WriteLine(text);
        var resultLine = text.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.True(exitCode == 0 && resultLine is not null, text);
        var result = JsonDocument.Parse(resultLine![7..]).RootElement;
        Assert.True(result.GetProperty("signInShown").GetBoolean());
        Assert.Equal(1, result.GetProperty("rows").GetInt32());
        Assert.DoesNotContain(key, result.GetProperty("location").GetString());
        Assert.True(result.GetProperty("stored").GetBoolean());
        Assert.All(result.GetProperty("urlsWithKey").EnumerateArray(), path => Assert.StartsWith("/hubs/training", path.GetString()));
    }

    static async Task<(int ExitCode, string Output)> RunNodeAsync(string script, string config)
    {
        var start = new ProcessStartInfo("node", $"\"{script}\" \"{config}\"") { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
