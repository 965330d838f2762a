using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

[Collection(TrainingCollection.Name)]
public class FitBehaviourTests
{
    sealed class Recorder : ITrainingObserver
    {
        public List<object> Events { get; } = [];
        public Action<BatchProgress>? OnBatch { get; init; }
        public Action<EpochResult>? OnEpoch { get; init; }

        public void TrainingStarted(TrainingStarted started) => Events.Add(started);
        public void BatchProgress(BatchProgress progress) { Events.Add(progress); OnBatch?.Invoke(progress); }
        public void EpochEnded(EpochResult result) { Events.Add(result); OnEpoch?.Invoke(result); }
        public void TrainingEnded(TrainingEnded ended) => Events.Add(ended);
    }

    static KerasModel Mlp(string optimizer = "\"adam\"", string metrics = "[\"acc\"]", long seed = 1)
    {
        var model = KerasModel.Create(TrainingGraphs.Mlp(classes: 4), "cpu", seed);
        model.Compile(CompileOptions.Parse($$"""{"optimizer": {{optimizer}}, "loss": "categorical_crossentropy", "metrics": {{metrics}}}"""));
        return model;
    }

    static bool SameWeights(KerasModel a, KerasModel b) =>
        a.GetWeights().Zip(b.GetWeights()).All(p => p.First.Value.eq(p.Second.Value).all().item<bool>());

    [Fact]
    public void SameSeedSameRunOtherSeedOtherRun()
    {
        using var data = new SyntheticHeads(96, 8, seed: 1);
        var options = new FitOptions { Epochs = 3, BatchSize = 16, Seed = 4, ValidationSplit = 0.25 };
        using var a = Mlp();
        using var b = Mlp();
        using var c = Mlp();
        var historyA = a.Fit(new FitData(data.X, data.Income), options);
        var historyB = b.Fit(new FitData(data.X, data.Income), options);
        c.Fit(new FitData(data.X, data.Income), options with { Seed = 5 });
        Assert.True(SameWeights(a, b));
        Assert.Equal(historyA.Values["val_loss"], historyB.Values["val_loss"]);
        Assert.False(SameWeights(a, c));
    }

    [Fact]
    public void ValidationSplitTakesTheLastSamplesBeforeShuffling()
    {
        using var data = new SyntheticHeads(100, 8, seed: 2);
        using var model = Mlp();
        var history = model.Fit(new FitData(data.X, data.Income), new FitOptions { Epochs = 1, ValidationSplit = 0.3, BatchSize = 10 });
        // Keras: floor(100 · 0.7) = 70 train, the last 30 validate.
        var scores = model.Evaluate(new FitData(data.X.narrow(0, 70, 30), data.Income.narrow(0, 70, 30)));
        Assert.Equal(scores["loss"], history.Values["val_loss"][0], 6);
        Assert.Equal(scores["acc"], history.Values["val_acc"][0], 6);
        Assert.Equal(7, model.Optimizer!.Iterations);
    }

    [Fact]
    public void EarlyStoppingWaitsPatienceEpochsThenRestoresTheBest()
    {
        using var data = new SyntheticHeads(64, 8, seed: 3);
        using var model = Mlp(optimizer: """{"type": "sgd", "learning_rate": 1e-12}""");
        var options = FitOptions.Parse("""{"epochs": 20, "batch_size": 64, "shuffle": false, "callbacks": [{"type": "EarlyStopping", "monitor": "loss", "min_delta": 0.1, "patience": 2}]}""");
        var recorder = new Recorder();
        var history = model.Fit(new FitData(data.X, data.Income), options, recorder);
        // Epoch 0 sets the best; epochs 1 and 2 do not beat it by 0.1; patience 2 stops after epoch 2.
        Assert.Equal([0, 1, 2], history.Epochs);
        Assert.Equal(StopReason.StoppedEarly, recorder.Events.OfType<TrainingEnded>().Single().Reason);

        // Diverging SGD: the first epoch is the best; restore_best_weights brings it back.
        using var diverging = Mlp(optimizer: """{"type": "sgd", "learning_rate": 5}""");
        var snapshots = new List<Dictionary<string, Tensor>>();
        var watch = new Recorder { OnEpoch = _ => snapshots.Add(diverging.GetWeights()) };
        var restoring = FitOptions.Parse("""{"epochs": 10, "batch_size": 8, "callbacks": [{"type": "EarlyStopping", "monitor": "loss", "patience": 3, "restore_best_weights": true}]}""");
        var diverged = diverging.Fit(new FitData(data.X, data.Income), restoring, watch);
        var losses = diverged.Values["loss"];
        int best = losses.IndexOf(losses.Min());
        Assert.Equal(best, ((EarlyStopping)restoring.Callbacks[0]).BestEpoch);
        Assert.True(diverging.GetWeights().All(kv => kv.Value.eq(snapshots[best][kv.Key]).all().item<bool>()));
    }

    [Fact]
    public void TerminateOnNaNStopsAtTheFirstBadBatch()
    {
        using var model = Mlp(optimizer: """{"type": "sgd", "learning_rate": 1e30}""");
        using var x = randn(64, 8) * 1e3;
        using var y = Categorical.ToCategorical(randint(4, [64]), 4);
        var recorder = new Recorder();
        var history = model.Fit(new FitData(x, y), FitOptions.Parse("""{"epochs": 5, "batch_size": 4, "callbacks": [{"type": "TerminateOnNaN"}]}"""), recorder);
        Assert.Single(history.Epochs);
        Assert.True(model.Optimizer!.Iterations < 16, $"{model.Optimizer.Iterations} steps");
        Assert.Equal(StopReason.NonFiniteLoss, recorder.Events.OfType<TrainingEnded>().Single().Reason);
    }

    [Fact]
    public void ReduceLROnPlateauLowersTheRateAndLogsIt()
    {
        using var data = new SyntheticHeads(32, 8, seed: 3);
        using var model = Mlp(optimizer: """{"type": "sgd", "learning_rate": 1e-12}""");
        var history = model.Fit(new FitData(data.X, data.Income),
            FitOptions.Parse("""{"epochs": 5, "batch_size": 32, "callbacks": [{"type": "ReduceLROnPlateau", "monitor": "loss", "patience": 1, "factor": 0.5, "min_delta": 1}]}"""));
        // The rate each epoch trained with, as float32: halved after every epoch without improvement.
        Assert.Equal(new[] { 1e-12, 1e-12, 5e-13, 2.5e-13, 1.25e-13 }.Select(v => (double)(float)v), history.Values["learning_rate"]);
        Assert.Equal(6.25e-14, model.Optimizer!.LearningRate, 1e-20);
    }

    [Fact]
    public void ObserverSeesStartBatchesEpochsAndEndWithHeadsGrouped()
    {
        using var data = new SyntheticHeads(40, 8, seed: 3);
        using var model = KerasModel.Create(TrainingGraphs.ThreeHeads(), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "metrics": {"gender": "acc"}}"""));
        var recorder = new Recorder();
        model.Fit(new FitData(data.X, NamedArrays.List(data.Age, data.Income, data.Gender)),
            new FitOptions { Epochs = 2, BatchSize = 16, ValidationSplit = 0.2, ProgressInterval = TimeSpan.Zero }, recorder);
        var started = Assert.IsType<TrainingStarted>(recorder.Events[0]);
        Assert.Equal((2, 32L, 8L), (started.StepsPerEpoch, started.Samples, started.ValidationSamples));
        Assert.Contains("val_gender_acc", started.LogNames);
        var batches = recorder.Events.OfType<BatchProgress>().ToList();
        Assert.Equal([(0, 1), (0, 2), (1, 1), (1, 2)], batches.Select(b => (b.Epoch, b.Batch)));
        Assert.Equal(32, batches[1].Samples);
        var epoch = recorder.Events.OfType<EpochResult>().Last();
        Assert.Equal(epoch.Logs["loss"], batches[^1].Loss, 6);
        var gender = epoch.Heads.Single(h => h.Output == "gender");
        Assert.Equal(epoch.Logs["gender_acc"], gender.Training["acc"]);
        Assert.Equal(epoch.Logs["val_gender_loss"], gender.Validation["loss"]);
        Assert.Equal(StopReason.Completed, Assert.IsType<TrainingEnded>(recorder.Events[^1]).Reason);
    }

    [Fact]
    public void CancellationStopsWithinOneBatch()
    {
        using var data = new SyntheticHeads(200, 8, seed: 3);
        using var model = Mlp();
        using var cancellation = new CancellationTokenSource();
        var recorder = new Recorder { OnBatch = b => { if (b.Epoch == 1 && b.Batch == 3) cancellation.Cancel(); } };
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(new FitData(data.X, data.Income),
            new FitOptions { Epochs = 5, BatchSize = 10, ProgressInterval = TimeSpan.Zero }, recorder, cancellation.Token));
        // 20 steps of epoch 0 and 3 of epoch 1; the batch after the request never ran.
        Assert.Equal(23, model.Optimizer!.Iterations);
        Assert.Equal(1, model.CompletedEpochs);
        Assert.Equal(StopReason.Cancelled, recorder.Events.OfType<TrainingEnded>().Single().Reason);
    }

    [Fact]
    public void ClassWeightEqualsTheSampleWeightsItStandsFor()
    {
        using var data = new SyntheticHeads(48, 8, seed: 6);
        using var byClass = Mlp();
        using var bySample = Mlp();
        var options = FitOptions.Parse("""{"epochs": 2, "batch_size": 16, "seed": 2, "class_weight": {"0": 0.5, "2": 3}}""");
        byClass.Fit(new FitData(data.X, data.Income), options);
        using var weights = data.IncomeClass.eq(0).to_type(ScalarType.Float32) * -0.5 + data.IncomeClass.eq(2).to_type(ScalarType.Float32) * 2 + 1;
        bySample.Fit(new FitData(data.X, data.Income) { SampleWeight = weights }, options with { ClassWeight = null });
        Assert.True(SameWeights(byClass, bySample));
    }
}
