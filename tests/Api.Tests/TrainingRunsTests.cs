using System.Net;
using System.Text.Json;
using TrainService.Api.Tests.Infrastructure;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests;

/// <summary>Runs trained end to end by the worker: the seed's models, metrics under Keras's names, predict, evaluate, weights, cancel.</summary>
public abstract class TrainingRunsTests : IAsyncLifetime
{
    static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    ServiceFactory service = null!;
    HttpClient client = null!;

    protected abstract Task<ServiceFactory> CreateServiceAsync();

    public async Task InitializeAsync()
    {
        service = await CreateServiceAsync();
        client = service.CreateClient();
    }

    public async Task DisposeAsync() => await service.DisposeAsync();

    [Fact]
    public async Task QuestionAnsweringModelTrainsFromAnNpzWithDictInputs()
    {
        var dataset = await client.UploadAsync(SeedModels.QuestionAnsweringData());
        var (status, run) = await client.PostJsonAsync("/api/runs", $$"""
            { "graph": {{SeedModels.QuestionAnswering}}, "datasetId": "{{dataset}}",
              "inputs": {"text": "text", "question": "question"}, "targets": {"answer": "answer"},
              "compile": {"optimizer": "rmsprop", "loss": "sparse_categorical_crossentropy", "metrics": ["acc"]},
              "fit": {"epochs": 2, "batch_size": 16, "validation_split": 0.25, "seed": 3} }
            """);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = run.GetProperty("id").GetGuid();
        var finished = await client.WaitForRunAsync(id, Patience, "succeeded", "failed", "canceled");
        Assert.True(finished.GetProperty("status").GetString() == "succeeded", finished.ToString());
        Assert.Equal(2, finished.GetProperty("epoch").GetInt32());
        Assert.Equal("cpu", finished.GetProperty("device").GetString());
        Assert.False(string.IsNullOrEmpty(finished.GetProperty("node").GetString()));
        Assert.True(finished.GetProperty("startedAt").GetDateTime() <= finished.GetProperty("finishedAt").GetDateTime());

        var metrics = await client.GetJsonAsync($"/api/runs/{id}/metrics");
        Assert.Equal([1, 2], metrics.EnumerateArray().Select(m => m.GetProperty("epoch").GetInt32()));
        Assert.Equal(["acc", "loss", "val_acc", "val_loss"], metrics[1].GetProperty("metrics").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(metrics[1].GetProperty("metrics").GetProperty("loss").GetDouble(), finished.GetProperty("metrics").GetProperty("loss").GetDouble());

        var (predictStatus, prediction) = await client.PostJsonAsync($"/api/runs/{id}/predict",
            """{"inputs": {"text": [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], "question": [[1, 2, 3, 4], [4, 3, 2, 1]]}}""");
        Assert.Equal(HttpStatusCode.OK, predictStatus);
        var answers = prediction.GetProperty("outputs").GetProperty("answer");
        Assert.Equal(2, answers.GetArrayLength());
        Assert.Equal(1.0, answers[0].EnumerateArray().Sum(p => p.GetDouble()), 4);

        var (evaluateStatus, evaluation) = await client.PostJsonAsync($"/api/runs/{id}/evaluate", $$"""{"datasetId": "{{dataset}}"}""");
        Assert.Equal(HttpStatusCode.OK, evaluateStatus);
        Assert.Equal(["acc", "loss"], evaluation.GetProperty("metrics").EnumerateObject().Select(p => p.Name).Order());

        var weights = await client.GetAsync($"/api/runs/{id}/weights");
        Assert.Equal(HttpStatusCode.OK, weights.StatusCode);
        var bytes = await weights.Content.ReadAsByteArrayAsync();
        Assert.Equal("PK"u8.ToArray(), bytes[..2]);

        var (badStatus, bad) = await client.PostJsonAsync($"/api/runs/{id}/predict", """{"inputs": {"text": [[1, 2], [3]], "question": [[1]]}}""");
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Contains("/inputs/text", bad.ErrorKeys());
    }

    [Fact]
    public async Task MultiOutputPostsModelReportsEveryHeadUnderKerasNames()
    {
        var dataset = await client.UploadAsync(SeedModels.PostsData());
        var (status, run) = await client.PostJsonAsync("/api/runs", $$$"""
            { "graph": {{{SeedModels.Posts}}}, "datasetId": "{{{dataset}}}",
              "targets": {"age": "age_targets", "income": "income_targets", "gender": "gender_targets"},
              "compile": {"optimizer": "rmsprop",
                          "loss": {"age": "mse", "income": "sparse_categorical_crossentropy", "gender": "binary_crossentropy"},
                          "loss_weights": {"age": 0.25, "income": 1.0, "gender": 10.0},
                          "metrics": {"income": ["acc"], "gender": ["acc"]}},
              "fit": {"epochs": 2, "batch_size": 16, "validation_split": 0.25} }
            """);
        Assert.Equal(HttpStatusCode.Accepted, status);
        var id = run.GetProperty("id").GetGuid();
        var finished = await client.WaitForRunAsync(id, Patience, "succeeded", "failed", "canceled");
        Assert.True(finished.GetProperty("status").GetString() == "succeeded", finished.ToString());

        var metrics = await client.GetJsonAsync($"/api/runs/{id}/metrics");
        Assert.Equal(2, metrics.GetArrayLength());
        string[] names = ["loss", "age_loss", "income_loss", "gender_loss", "income_acc", "gender_acc"];
        var logged = metrics[0].GetProperty("metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetDouble());
        Assert.Equal(names.Concat(names.Select(n => "val_" + n)).Order(), logged.Keys.Order());
        // The total is the weighted sum of the heads' losses (no regularizers here), as in Keras.
        var weighted = 0.25 * logged["age_loss"] + logged["income_loss"] + 10 * logged["gender_loss"];
        Assert.True(Math.Abs(weighted - logged["loss"]) <= 1e-4 * Math.Abs(logged["loss"]), $"loss {logged["loss"]}, weighted heads {weighted}");
    }

    [Fact]
    public async Task ArrayValuesAreCheckedBeforeTheRunIsQueued()
    {
        // Sparse labels 0..9 for a 5-way softmax: the engine's data check names the targets.
        var data = SeedModels.QuestionAnsweringData();
        data[2] = NdArray.Of("answer", TestData.Ints(64, 10, 13), 64);
        var dataset = await client.UploadAsync(data);
        var (status, problem) = await client.PostJsonAsync("/api/runs", $$"""
            { "graph": {{SeedModels.QuestionAnswering}}, "datasetId": "{{dataset}}",
              "compile": {"optimizer": "rmsprop", "loss": "sparse_categorical_crossentropy"} }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem.ErrorKeys(), k => k.StartsWith("/targets/answer", StringComparison.Ordinal));
        Assert.Equal(0, (await client.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());

        (status, problem) = await client.PostJsonAsync("/api/runs", $$$"""
            { "graph": {{{SeedModels.QuestionAnswering}}}, "datasetId": "{{{dataset}}}",
              "compile": {"optimizer": "nosuch", "loss": "mse"}, "fit": {"callbacks": [{"type": "Nope"}]} }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("/compile/optimizer", problem.ErrorKeys());
        Assert.Contains(problem.ErrorKeys(), k => k.StartsWith("/fit/callbacks/0", StringComparison.Ordinal));

        // A loss dict is resolved against the graph's outputs.
        (status, problem) = await client.PostJsonAsync("/api/runs", $$$"""
            { "graph": {{{SeedModels.QuestionAnswering}}}, "datasetId": "{{{dataset}}}",
              "compile": {"optimizer": "rmsprop", "loss": {"nowhere": "mse"}} }
            """);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(problem.ErrorKeys(), k => k.StartsWith("/compile/loss", StringComparison.Ordinal));
        Assert.Equal(0, (await client.GetJsonAsync("/api/runs")).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task CancelStopsARunningRun()
    {
        var dataset = await client.UploadAsync(
            NdArray.Of("features", TestData.Floats(4000 * 8, 5), 4000, 8), NdArray.Of("label", TestData.Floats(4000, 6), 4000, 1));
        var (_, run) = await client.PostJsonAsync("/api/runs", $$"""
            { "graph": {"inputs": [{"name": "features", "shape": [8]}],
                        "nodes": [{"name": "hidden", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["features"]},
                                  {"name": "label", "type": "Dense", "config": {"units": 1}, "inputs": ["hidden"]}],
                        "outputs": ["label"]},
              "datasetId": "{{dataset}}", "compile": {"optimizer": "sgd", "loss": "mse"}, "fit": {"epochs": 10000, "batch_size": 4} }
            """);
        var id = run.GetProperty("id").GetGuid();
        await client.WaitForRunAsync(id, Patience, "running");
        var asked = DateTime.UtcNow;
        var (status, _) = await client.PostJsonAsync($"/api/runs/{id}/cancel", "");
        Assert.Equal(HttpStatusCode.Accepted, status);
        var canceled = await client.WaitForRunAsync(id, TimeSpan.FromSeconds(30), "canceled", "failed", "succeeded");
        Assert.Equal("canceled", canceled.GetProperty("status").GetString());
        Assert.True(DateTime.UtcNow - asked < TimeSpan.FromSeconds(10), $"Canceling took {DateTime.UtcNow - asked}.");
        Assert.Equal(JsonValueKind.Null, canceled.GetProperty("error").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostJsonAsync($"/api/runs/{id}/cancel", "")).Status);
    }
}

public sealed class EmbeddedTrainingRunsTests : TrainingRunsTests
{
    protected override Task<ServiceFactory> CreateServiceAsync() => Task.FromResult(new ServiceFactory());
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTrainingRunsTests(PostgresServer postgres) : TrainingRunsTests
{
    protected override async Task<ServiceFactory> CreateServiceAsync() => new(await postgres.CreateDatabaseAsync());
}
