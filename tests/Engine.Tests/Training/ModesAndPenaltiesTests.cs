using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

[Collection(TrainingCollection.Name)]
public class ModesAndPenaltiesTests
{
    /// <summary>
    /// An LSTM with input dropout: fit trains in training mode (masks drawn), while validation,
    /// evaluate and predict run in inference mode (no masks, repeatable).
    /// </summary>
    [Fact]
    public void DropoutActsInFitButNotInValidationEvaluateOrPredict()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [5, 3]}],
          "nodes": [
            {"name": "lstm", "type": "LSTM", "config": {"units": 8, "dropout": 0.5}, "inputs": ["x"]},
            {"name": "out", "type": "Dense", "config": {"units": 1}, "inputs": ["lstm"]} ],
          "outputs": ["out"] }
        """);
        using var model = KerasModel.Create(graph, "cpu", seed: 1);
        // A learning rate too small to move the weights: the logs differ only by the mode.
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "sgd", "learning_rate": 1e-12}, "loss": "mse"}"""));
        using var x = randn(64, 5, 3);
        using var y = randn(64, 1);
        var data = new FitData(x, y);
        var history = model.Fit(data with { Validation = data }, new FitOptions { Epochs = 1, BatchSize = 64 });
        var evaluated = model.Evaluate(data, batchSize: 64)["loss"];
        Assert.Equal(evaluated, history.Values["val_loss"][0], 6);
        Assert.True(Math.Abs(history.Values["loss"][0] - evaluated) > 1e-3, "the training pass should have dropped inputs");
        using var first = model.Predict(x)["out"];
        using var second = model.Predict(x)["out"];
        Assert.True(first.eq(second).all().item<bool>());
        Assert.True(model.Module.training, "fit leaves the model in training mode, as it found it");
    }

    [Fact]
    public void RegularizationAddsToTheLossAndConstraintsHoldAfterEachStep()
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [4]}],
          "nodes": [
            {"name": "d", "type": "Dense", "config": {"units": 3, "kernel_regularizer": {"class_name": "L2", "config": {"l2": 0.1}},
                                                       "kernel_constraint": "non_neg"}, "inputs": ["x"]} ],
          "outputs": ["d"] }
        """);
        using var model = KerasModel.Create(graph, "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "sgd", "learning_rate": 0.5}, "loss": "mse"}"""));
        using var x = randn(16, 4);
        using var y = randn(16, 3) * 3;
        // Before training: evaluate's loss is the mse plus 0.1 · Σ kernel².
        var kernel = model.GetWeights()["d/kernel"];
        var predictions = model.Predict(x)["d"];
        using var mse = (predictions - y).square().mean();
        using var penalty = kernel.square().sum() * 0.1;
        Assert.Equal(mse.item<float>() + penalty.item<float>(), model.Evaluate(new FitData(x, y))["loss"], 4);
        model.Fit(new FitData(x, y), new FitOptions { Epochs = 3, BatchSize = 4 });
        using var trained = model.GetWeights()["d/kernel"];
        Assert.True(trained.min().item<float>() >= 0, "non_neg holds after every step");
        Assert.True(trained.gt(0).any().item<bool>());
        kernel.Dispose();
        predictions.Dispose();
    }

    [Fact]
    public void CheckpointsLoadWithoutOptimizerStateAndFromCodeBuiltSettings()
    {
        var directory = Directory.CreateTempSubdirectory("trainservice-tests-");
        try
        {
            using var data = new SyntheticHeads(32, 8, seed: 1);
            using var model = KerasModel.Create(TrainingGraphs.Mlp(classes: 4), "cpu", seed: 1);
            // Settings built in code have no request JSON; the checkpoint writes them out.
            var options = CompileOptions.Parse("""{"optimizer": "adam", "loss": "categorical_crossentropy", "metrics": ["acc"]}""") with { Json = null };
            model.Compile(options);
            model.Fit(new FitData(data.X, data.Income), new FitOptions { Epochs = 2, BatchSize = 8 });
            var full = Path.Combine(directory.FullName, "full.ckpt");
            var weightsOnly = Path.Combine(directory.FullName, "weights.ckpt");
            model.SaveCheckpoint(full);
            model.SaveCheckpoint(weightsOnly, includeOptimizer: false);

            using var restored = KerasModel.LoadCheckpoint(full, "cpu");
            Assert.Equal(model.MetricsNames, restored.MetricsNames);
            Assert.Equal(8, restored.Optimizer!.Iterations);
            using var fresh = KerasModel.LoadCheckpoint(weightsOnly, "cpu");
            Assert.Equal(0, fresh.Optimizer!.Iterations);
            Assert.Equal(2, fresh.CompletedEpochs);
            var expected = model.Evaluate(new FitData(data.X, data.Income));
            Assert.Equal(expected, restored.Evaluate(new FitData(data.X, data.Income)));
            Assert.Equal(expected, fresh.Evaluate(new FitData(data.X, data.Income)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
