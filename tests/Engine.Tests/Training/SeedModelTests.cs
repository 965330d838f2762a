using TrainService.Engine.Graph;
using TrainService.Engine.Tests.Examples;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>
/// The seed chapter's models, from examples/, trained on synthetic data small enough for a unit
/// test. A model whose layer types the engine lacks fails naming them, as the example tests do.
/// </summary>
[Collection(TrainingCollection.Name)]
public class SeedModelTests
{
    static ModelGraph Example(string file)
    {
        var diagnostics = new DiagnosticBag();
        return GraphBuilder.TryBuild(ExampleGraphs.LoadKnown(file), diagnostics)
            ?? throw new GraphValidationException(diagnostics.Errors.ToList());
    }

    /// <summary>
    /// Each sequence carries a sign along a hidden direction; the pair is positive when both are
    /// positive, a relation that does not depend on the order of the pair. One shared LSTM must learn
    /// to read the sign, and the model must answer the same for (a, b) and (b, a).
    /// </summary>
    [Fact]
    public void SiameseLstmLearnsASymmetricRelation()
    {
        using var generator = new Generator(11);
        const int pairs = 256, steps = 4, features = 128;
        using var direction = randn(features, generator: generator);
        Tensor Sequences(Tensor signs) =>
            signs.reshape(-1, 1, 1) * (direction / direction.norm()) * 3 + randn([pairs, steps, features], generator: generator);
        using var leftSigns = randint(2, [pairs], generator: generator).to_type(ScalarType.Float32) * 2 - 1;
        using var rightSigns = randint(2, [pairs], generator: generator).to_type(ScalarType.Float32) * 2 - 1;
        using var left = Sequences(leftSigns);
        using var right = Sequences(rightSigns);
        using var both = (leftSigns.gt(0) & rightSigns.gt(0)).to_type(ScalarType.Float32).unsqueeze(1);

        using var model = KerasModel.Create(Example("siamese-lstm.json"), "cpu", seed: 3);
        model.Compile(CompileOptions.Parse("""{"optimizer": "rmsprop", "loss": "binary_crossentropy", "metrics": ["acc"]}"""));
        var history = model.Fit(new FitData(NamedArrays.Named([new("left_input", left), new("right_input", right)]), both),
            new FitOptions { Epochs = 4, BatchSize = 32, ValidationSplit = 0.25, Seed = 2 });
        Assert.True(history.Values["val_acc"][^1] > 0.9, $"validation accuracy {history.Values["val_acc"][^1]}");

        using var heldOutLeft = left.narrow(0, 192, 64);
        using var heldOutRight = right.narrow(0, 192, 64);
        var forward = model.Predict(NamedArrays.List(heldOutLeft, heldOutRight))["predictions"];
        var swapped = model.Predict(NamedArrays.List(heldOutRight, heldOutLeft))["predictions"];
        using var agree = forward.gt(0.5).eq(swapped.gt(0.5)).to_type(ScalarType.Float32).mean();
        Assert.True(agree.item<float>() > 0.9, $"(a, b) and (b, a) agree on {agree.item<float>():P0} of pairs");
    }

    /// <summary>
    /// The chapter's question answering model on random texts, questions and answers, as the chapter
    /// trains it: the model can only fit its data by memorising it, and must.
    /// </summary>
    [Fact]
    public void QuestionAnsweringModelFitsItsData()
    {
        using var generator = new Generator(5);
        const int samples = 128, length = 20;
        using var text = randint(1, 10_000, [samples, length], dtype: ScalarType.Int32, generator: generator);
        using var question = randint(1, 10_000, [samples, length], dtype: ScalarType.Int32, generator: generator);
        using var answers = Categorical.ToCategorical(randint(500, [samples], generator: generator), 500);

        using var model = KerasModel.Create(Example("qa-two-input.json"), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "rmsprop", "learning_rate": 0.01}, "loss": "categorical_crossentropy", "metrics": ["acc"]}"""));
        // The chapter's two ways of passing the inputs: a list in input order, and a dict by name.
        model.Fit(new FitData(NamedArrays.List(text, question), answers), new FitOptions { Epochs = 4, BatchSize = 32, Seed = 1 });
        var history = model.Fit(new FitData(NamedArrays.Named([new("question", question), new("text", text)]), answers), new FitOptions { Epochs = 12, BatchSize = 32, Seed = 1 });
        Assert.True(history.Values["loss"][^1] < Math.Log(500) / 2, $"loss {history.Values["loss"][^1]} (ln 500 = {Math.Log(500):F2} at chance)");
        Assert.True(history.Values["acc"][^1] > 0.5, $"accuracy {history.Values["acc"][^1]} (chance 0.002)");
    }

    /// <summary>
    /// The chapter's posts model (Embedding(50000, 256) as meant) on posts of 270 words, about the
    /// shortest its three poolings allow. Each post is about one of four topics: half its words are
    /// the topic's word, the rest filler. Age is a linear function of the topic, income its class
    /// (four of the ten groups) and gender a bit read from it. Every head must beat chance clearly.
    /// The heaviest test here (the convolutions over 270 positions): a few seconds on a quiet machine.
    /// </summary>
    [Fact]
    public void PostsModelLearnsAgeIncomeAndGender()
    {
        using var generator = new Generator(8);
        const int samples = 64, length = 270, topics = 4;
        using var topic = randint(topics, [samples], generator: generator);
        using var filler = randint(topics + 1, 2_000, [samples, length], generator: generator);
        using var isTopic = rand([samples, length], generator: generator).lt(0.5);
        using var posts = where(isTopic, (topic + 1).unsqueeze(1).expand(samples, length), filler).to_type(ScalarType.Int32);
        // Age in decades from the mean age, so that the head need not first travel to an offset.
        using var age = ((topic.to_type(ScalarType.Float32) - 1.5) * 0.5).unsqueeze(1);
        using var income = Categorical.ToCategorical(topic, 10);
        using var gender = topic.lt(topics / 2).to_type(ScalarType.Float32).unsqueeze(1);

        using var model = KerasModel.Create(Example("posts-multi-output.json"), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""
            {"optimizer": "rmsprop", "loss": {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
             "loss_weights": {"age": 0.25, "income": 1.0, "gender": 10.0}, "metrics": {"age": "mae", "income": "acc", "gender": "acc"}}
            """));
        var history = model.Fit(new FitData(posts, NamedArrays.Named([new("age", age), new("income", income), new("gender", gender)])),
            new FitOptions { Epochs = 3, BatchSize = 8, Seed = 1 });
        var final = history.Values.ToDictionary(kv => kv.Key, kv => kv.Value[^1]);
        var logs = string.Join("; ", history.Values.Select(kv => $"{kv.Key} {string.Join(", ", kv.Value.Select(v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)))}"));
        Assert.True(final["gender_acc"] > 0.8, $"gender accuracy {final["gender_acc"]} (chance 0.5); {logs}");
        Assert.True(final["income_acc"] > 0.45, $"income accuracy {final["income_acc"]} (chance 0.25); {logs}");
        using var spread = (age - age.mean()).abs().mean();
        Assert.True(final["age_mae"] < spread.item<float>() * 0.8, $"age mae {final["age_mae"]} (predicting the mean: {spread.item<float>()}); {logs}");
    }
}
