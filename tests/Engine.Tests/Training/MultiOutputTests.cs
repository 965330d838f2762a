using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

[Collection(TrainingCollection.Name)]
public class MultiOutputTests
{
    static ModelGraph Heads(int trunk, string activation = "relu") => GraphBuilder.Build($$"""
    { "inputs": [{"name": "posts", "shape": [8]}],
      "nodes": [
        {"name": "trunk", "type": "Dense", "config": {"units": {{trunk}}, "activation": "{{activation}}"}, "inputs": ["posts"]},
        {"name": "age", "type": "Dense", "config": {"units": 1}, "inputs": ["trunk"]},
        {"name": "income", "type": "Dense", "config": {"units": 4, "activation": "softmax"}, "inputs": ["trunk"]},
        {"name": "gender", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["trunk"]} ],
      "outputs": ["age", "income", "gender"] }
    """);

    static NamedArrays Targets(SyntheticHeads data) =>
        NamedArrays.Named([new("age", data.Age), new("income", data.Income), new("gender", data.Gender)]);

    [Fact]
    public void EveryHeadBeatsChanceWithinAFewEpochs()
    {
        using var data = new SyntheticHeads(512, 8, seed: 5);
        using var model = KerasModel.Create(Heads(32), "cpu", seed: 2);
        model.Compile(CompileOptions.Parse("""
            {"optimizer": {"type": "rmsprop", "learning_rate": 0.01},
             "loss": {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
             "loss_weights": {"age": 0.01, "income": 1.0, "gender": 1.0},
             "metrics": {"age": "mae", "income": "acc", "gender": "acc"}}
            """));
        var history = model.Fit(new FitData(data.X, Targets(data)), FitOptions.Parse("""{"epochs": 6, "batch_size": 32, "validation_split": 0.25, "seed": 3}"""));

        Assert.Equal(["loss", "age_loss", "income_loss", "gender_loss", "age_mae", "income_acc", "gender_acc",
            "val_loss", "val_age_loss", "val_income_loss", "val_gender_loss", "val_age_mae", "val_income_acc", "val_gender_acc"], history.Values.Keys);
        var final = history.Values.ToDictionary(kv => kv.Key, kv => kv.Value[^1]);
        Assert.True(final["val_income_acc"] > 0.6, $"income accuracy {final["val_income_acc"]} (chance 0.25)");
        Assert.True(final["val_gender_acc"] > 0.8, $"gender accuracy {final["val_gender_acc"]} (chance 0.5)");
        // Predicting the mean age would be off by the spread of ages, about 4 to 5 years.
        using var ageSpread = data.Age.std();
        Assert.True(final["val_age_mae"] < ageSpread.item<float>() * 0.5, $"age mae {final["val_age_mae"]}");
        // The total is the weighted sum of the per-output (unweighted) losses.
        var total = 0.01 * final["age_loss"] + final["income_loss"] + final["gender_loss"];
        Assert.Equal(total, final["loss"], 2);
    }

    /// <summary>With a two-unit trunk the heads compete; the weights decide who gets it.</summary>
    [Fact]
    public void LossWeightsDecideWhichHeadWins()
    {
        using var data = new SyntheticHeads(512, 8, seed: 7);
        double Accuracy(string weights, string head)
        {
            using var model = KerasModel.Create(Heads(2, "tanh"), "cpu", seed: 4);
            model.Compile(CompileOptions.Parse($$"""
                {"optimizer": {"type": "adam", "learning_rate": 0.02},
                 "loss": ["mse", "categorical_crossentropy", "binary_crossentropy"],
                 "loss_weights": {{weights}}, "metrics": [[], ["acc"], ["acc"]]}
                """));
            var history = model.Fit(new FitData(data.X, NamedArrays.List(data.Age, data.Income, data.Gender)),
                new FitOptions { Epochs = 8, BatchSize = 32, Seed = 1 });
            return history.Values[head][^1];
        }
        var incomeFirst = (Income: Accuracy("[0, 10, 0.1]", "income_acc"), Gender: Accuracy("[0, 10, 0.1]", "gender_acc"));
        var genderFirst = (Income: Accuracy("[0, 0.1, 10]", "income_acc"), Gender: Accuracy("[0, 0.1, 10]", "gender_acc"));
        Assert.True(incomeFirst.Income > genderFirst.Income + 0.1, $"income accuracy {incomeFirst.Income} weighted up vs {genderFirst.Income} weighted down");
        Assert.True(genderFirst.Gender > incomeFirst.Gender + 0.1, $"gender accuracy {genderFirst.Gender} weighted up vs {incomeFirst.Gender} weighted down");
    }

    [Fact]
    public void EvaluateAndPredictAreKeyedByOutput()
    {
        using var data = new SyntheticHeads(100, 8, seed: 9);
        using var model = KerasModel.Create(Heads(8), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "metrics": ["acc"]}"""));
        var scores = model.Evaluate(new FitData(data.X, Targets(data)), batchSize: 30);
        Assert.Equal(model.MetricsNames, scores.Keys);
        var predictions = model.Predict(data.X, batchSize: 30);
        Assert.Equal(["age", "income", "gender"], predictions.Keys);
        Assert.Equal([100L, 4L], predictions["income"].shape);
        // evaluate's loss is predict's outputs scored by the same losses.
        using var incomeLoss = -(data.Income * predictions["income"].clamp(1e-7, 1 - 1e-7).log()).sum(1).mean();
        Assert.Equal(incomeLoss.item<float>(), scores["income_loss"], 4);
        foreach (var p in predictions.Values) p.Dispose();
    }
}
