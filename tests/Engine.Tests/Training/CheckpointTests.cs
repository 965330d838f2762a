using System.IO.Compression;
using System.Text.Json.Nodes;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Checkpoints;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class CheckpointTests : IDisposable
{
    readonly string directory = Path.Combine(Path.GetTempPath(), "trainservice-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
    }

    const string Compile = """
        {"optimizer": {"type": "adam", "learning_rate": 0.01},
         "loss": {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
         "loss_weights": {"age": 0.1}, "metrics": {"income": "acc", "gender": ["acc", "auc"]}}
        """;

    // Every piece of run state a resume must carry: shuffling, Adam's slots and step count, the
    // learning rate ReduceLROnPlateau lowered, and EarlyStopping's and ReduceLROnPlateau's counters.
    const string Fit = """
        {"epochs": 6, "batch_size": 16, "validation_split": 0.2, "seed": 11,
         "callbacks": [
           {"type": "ReduceLROnPlateau", "monitor": "val_loss", "patience": 1, "min_delta": 1000, "factor": 0.5},
           {"type": "EarlyStopping", "monitor": "val_income_acc", "patience": 5},
           {"type": "ModelCheckpoint", "filepath": "epoch-{epoch:02d}.ckpt"}]}
        """;

    FitOptions Options(int? epochs = null)
    {
        var options = FitOptions.Parse(Fit, directory);
        return epochs is int e ? options with { Epochs = e } : options;
    }

    [Fact]
    public void ResumedRunEqualsUninterruptedRun()
    {
        using var data = new SyntheticHeads(160, 8, seed: 3);
        var fitData = new FitData(data.X, NamedArrays.Named([new("age", data.Age), new("income", data.Income), new("gender", data.Gender)]));

        using var straight = KerasModel.Create(TrainingGraphs.ThreeHeads(), "cpu", seed: 5);
        straight.Compile(CompileOptions.Parse(Compile));
        straight.Fit(fitData, Options());

        using (var first = KerasModel.Create(TrainingGraphs.ThreeHeads(), "cpu", seed: 5))
        {
            first.Compile(CompileOptions.Parse(Compile));
            first.Fit(fitData, Options(epochs: 3));
        }
        using var resumed = KerasModel.LoadCheckpoint(Path.Combine(directory, "epoch-03.ckpt"), "cpu");
        Assert.Equal(3, resumed.CompletedEpochs);
        resumed.Fit(fitData, Options() with { InitialEpoch = resumed.CompletedEpochs });

        Assert.True(straight.RunHistory.Values["learning_rate"].Distinct().Count() > 1, "the learning rate should have been lowered during the run");
        Assert.Equal(straight.RunHistory.Epochs, resumed.RunHistory.Epochs);
        foreach (var (name, values) in straight.RunHistory.Values)
            Assert.Equal(values, resumed.RunHistory.Values[name]);
        var expected = straight.GetWeights();
        var actual = resumed.GetWeights();
        foreach (var (key, value) in expected)
            Assert.True(value.eq(actual[key]).all().item<bool>(), $"weight {key} differs");
        Assert.Equal(straight.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
        Assert.Equal(straight.Optimizer.LearningRate, resumed.Optimizer.LearningRate);
    }

    [Fact]
    public void CheckpointHoldsKerasLayoutWeightsAndManifest()
    {
        using var model = KerasModel.Create(TrainingGraphs.Mlp(inputs: 3, hidden: 4, classes: 2), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": "rmsprop", "loss": "categorical_crossentropy"}"""));
        using var x = ones(4, 3);
        using var y = eye(2).repeat(2, 1);
        model.Fit(new FitData(x, y), new FitOptions { Epochs = 2, BatchSize = 2 });
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "model.ckpt");
        model.SaveCheckpoint(path);

        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(["checkpoint.json", "weights.safetensors", "optimizer.safetensors"], zip.Entries.Select(e => e.FullName));
        var manifest = JsonNode.Parse(zip.GetEntry("checkpoint.json")!.Open())!.AsObject();
        Assert.Equal(2, manifest["epoch"]!.GetValue<int>());
        Assert.Equal(4, manifest["optimizer"]!["iterations"]!.GetValue<long>());
        Assert.Equal("mlp", manifest["graph"]!["name"]!.GetValue<string>());
        Assert.Equal(["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"], manifest["weights"]!.AsArray().Select(w => w!["key"]!.GetValue<string>()));
        using var stream = zip.GetEntry("weights.safetensors")!.Open();
        var tensors = SafeTensors.Read(stream, out var metadata);
        Assert.Equal("keras", metadata["layout"]);
        // Dense kernels in Keras's (in, out) layout, not torch's (out, in).
        Assert.Equal([3L, 4L], tensors["hidden/kernel"].shape);
        Assert.True(tensors["out/kernel"].eq(model.GetWeights()["out/kernel"]).all().item<bool>());
        using var slots = zip.GetEntry("optimizer.safetensors")!.Open();
        Assert.Contains("velocity/hidden/kernel", SafeTensors.Read(slots, out _).Keys);
    }

    [Fact]
    public void SaveBestOnlyWritesOnImprovement()
    {
        using var data = new SyntheticHeads(64, 8, seed: 1);
        using var model = KerasModel.Create(TrainingGraphs.Mlp(classes: 4), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "sgd", "learning_rate": 0.5}, "loss": "categorical_crossentropy"}"""));
        var options = FitOptions.Parse("""{"epochs": 6, "callbacks": [{"type": "ModelCheckpoint", "filepath": "best-{epoch}-{loss:.3f}.ckpt", "monitor": "loss", "save_best_only": true}]}""", directory);
        var history = model.Fit(new FitData(data.X, data.Income), options);
        var checkpoint = (ModelCheckpoint)options.Callbacks[0];
        var losses = history.Values["loss"];
        int improvements = losses.Select((l, i) => losses.Take(i).All(p => l < p)).Count(b => b);
        Assert.Equal(improvements, checkpoint.Saved.Count);
        Assert.All(checkpoint.Saved, p => Assert.True(File.Exists(p)));
        Assert.EndsWith($"best-1-{losses[0]:F3}.ckpt", checkpoint.Saved[0]);
    }
}
