using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>
/// A TensorFlow.js model imported over HTTP, checked with the graph's predict, fine-tuned by a run
/// from its imported weights, and exported back: TensorFlow.js loads the export and predicts what
/// the run predicts.
/// </summary>
public sealed class KerasInteropApiTests : IAsyncLifetime
{
    const string Fixture = "tfjs_nested_multi_output";
    static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    readonly ServiceFactory service = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await service.DisposeAsync();

    static string FixtureDirectory => Path.Combine(TestData.RepositoryRoot(), "tests", "Engine.Tests", "Fixtures", "interop", Fixture);

    static MultipartFormDataContent ImportForm(bool withShard = true)
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(File.ReadAllBytes(Path.Combine(FixtureDirectory, "model.json"))), "model", "model.json");
        if (withShard)
            form.Add(new ByteArrayContent(File.ReadAllBytes(Path.Combine(FixtureDirectory, "group1-shard1of1.bin"))), "weights", "group1-shard1of1.bin");
        return form;
    }

    static JsonObject Expected => JsonNode.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "expected.json")))!.AsObject();

    /// <summary>The fixture's inputs as the predict endpoints take them: nested arrays by input name.</summary>
    static string PredictBody()
    {
        var inputs = Expected["inputs"]!.AsArray();
        JsonArray Rows(JsonNode input)
        {
            var width = input["shape"]![1]!.GetValue<int>();
            var data = input["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            return new JsonArray(data.Chunk(width).Select(row => (JsonNode)new JsonArray(row.Select(v => (JsonNode)v).ToArray())).ToArray());
        }
        return new JsonObject { ["inputs"] = new JsonObject { ["a"] = Rows(inputs[0]!), ["b"] = Rows(inputs[1]!) } }.ToJsonString();
    }

    static double[] Flat(JsonElement nested) => nested.ValueKind == JsonValueKind.Array
        ? nested.EnumerateArray().SelectMany(Flat).ToArray()
        : [nested.GetDouble()];

    static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"{what}: element {i} is {actual[i]}, not {expected[i]}");
    }

    [Fact]
    public async Task ImportedModelPredictsAsTensorFlowJs()
    {
        var client = service.CreateClient();
        var response = await client.PostAsync("/api/graphs/import", ImportForm());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var imported = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(imported.GetProperty("hasWeights").GetBoolean());
        Assert.Equal("nested", imported.GetProperty("name").GetString());
        Assert.Equal("Model", imported.GetProperty("graph").GetProperty("nodes")[0].GetProperty("type").GetString());
        var id = imported.GetProperty("id").GetGuid();

        var (status, prediction) = await client.PostJsonAsync($"/api/graphs/{id}/predict", PredictBody());
        Assert.Equal(HttpStatusCode.OK, status);
        var outputs = Expected["outputs"]!.AsArray();
        AssertClose(outputs[0]!["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), Flat(prediction.GetProperty("outputs").GetProperty("out")), "out");
        AssertClose(outputs[1]!["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), Flat(prediction.GetProperty("outputs").GetProperty("pair_1")), "pair_1");
    }

    [Fact]
    public async Task ImportWithoutItsShardIsRefusedWithAPointer()
    {
        var client = service.CreateClient();
        var response = await client.PostAsync("/api/graphs/import", ImportForm(withShard: false));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["/weightsManifest/0/paths/0"], problem.ErrorKeys());
    }

    [Fact]
    public async Task FineTunedRunExportsForTensorFlowJsAndKeras()
    {
        var client = service.CreateClient();
        var imported = await (await client.PostAsync("/api/graphs/import", ImportForm())).Content.ReadFromJsonAsync<JsonElement>();
        var graphId = imported.GetProperty("id").GetGuid();
        const int samples = 8;
        var dataset = await client.UploadAsync(
            NdArray.Of("a", TestData.Floats(samples * 4, 1), samples, 4),
            NdArray.Of("b", TestData.Floats(samples * 4, 2), samples, 4),
            NdArray.Of("out", TestData.Floats(samples * 6, 3), samples, 6),
            NdArray.Of("pair_1", TestData.Floats(samples * 2, 4), samples, 2));
        var (status, run) = await client.PostJsonAsync("/api/runs", $$"""
            { "graphId": "{{graphId}}", "datasetId": "{{dataset}}", "initialWeights": "graph",
              "compile": {"optimizer": {"type": "sgd", "learning_rate": 0.05}, "loss": "mse"},
              "fit": {"epochs": 1, "batch_size": 4, "seed": 1} }
            """);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var runId = run.GetProperty("id").GetGuid();
        var finished = await client.WaitForRunAsync(runId, Patience, "succeeded", "failed", "canceled");
        Assert.True(finished.GetProperty("status").GetString() == "succeeded", finished.ToString());

        var (_, trained) = await client.PostJsonAsync($"/api/runs/{runId}/predict", PredictBody());
        // Fine-tuned from the imported weights: one epoch of small steps stays near tfjs's predictions.
        var before = Expected["outputs"]![0]!["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var after = Flat(trained.GetProperty("outputs").GetProperty("out"));
        Assert.True(before.Zip(after).Max(p => Math.Abs(p.First - p.Second)) < 0.5, "the run did not start from the imported weights");
        Assert.NotEqual(before, after);

        var tfjs = await client.GetAsync($"/api/runs/{runId}/export?format=tfjs");
        Assert.Equal(HttpStatusCode.OK, tfjs.StatusCode);
        var folder = Directory.CreateTempSubdirectory("api-export-").FullName;
        try
        {
            ZipFile.ExtractToDirectory(await tfjs.Content.ReadAsStreamAsync(), folder);
            var inputs = Expected["inputs"]!.ToJsonString();
            File.WriteAllText(Path.Combine(folder, "inputs.json"), inputs);
            var tool = Path.Combine(TestData.RepositoryRoot(), "tools", "keras-reference");
            var start = new ProcessStartInfo("node", [Path.Combine(tool, "load-exported.js"), folder, Path.Combine(folder, "inputs.json")])
            { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = tool };
            using var node = Process.Start(start)!;
            var output = await node.StandardOutput.ReadToEndAsync();
            var error = await node.StandardError.ReadToEndAsync();
            await node.WaitForExitAsync();
            Assert.True(node.ExitCode == 0, "TensorFlow.js could not load the export (npm ci in tools/keras-reference): " + error);
            var theirs = JsonDocument.Parse(output).RootElement.GetProperty("outputs");
            AssertClose(after, theirs[0].GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray(), "TensorFlow.js on the export");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var keras = await client.GetAsync($"/api/runs/{runId}/export?format=keras");
        Assert.Equal(HttpStatusCode.OK, keras.StatusCode);
        var archive = await keras.Content.ReadAsByteArrayAsync();
        var form = new MultipartFormDataContent { { new ByteArrayContent(archive), "model", "nested.keras" } };
        var reimported = await client.PostAsync("/api/graphs/import", form);
        Assert.Equal(HttpStatusCode.Created, reimported.StatusCode);
        var again = (await reimported.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var (_, roundTrip) = await client.PostJsonAsync($"/api/graphs/{again}/predict", PredictBody());
        AssertClose(after, Flat(roundTrip.GetProperty("outputs").GetProperty("out")), "the .keras export imported again");

        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/runs/{runId}/export?format=onnx")).StatusCode);
    }
}
