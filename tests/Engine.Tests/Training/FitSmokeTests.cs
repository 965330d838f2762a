using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

[Collection(TrainingCollection.Name)]
public class FitSmokeTests
{
    [Fact]
    public void MlpLearnsSeparableClasses()
    {
        using var model = KerasModel.Create(TrainingGraphs.Mlp(), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "adam", "learning_rate": 0.01}, "loss": "sparse_categorical_crossentropy", "metrics": ["acc"]}"""));
        using var generator = new Generator(3);
        using var x = randn(256, 8, generator: generator);
        using var y = x.narrow(1, 0, 3).argmax(1);
        var history = model.Fit(new FitData(x, y), FitOptions.Parse("""{"epochs": 15, "batch_size": 32, "seed": 1}"""));
        Assert.Equal(["loss", "acc"], history.Values.Keys);
        Assert.True(history.Values["acc"][^1] > 0.85, $"accuracy {history.Values["acc"][^1]}");
        Assert.True(history.Values["loss"][^1] < history.Values["loss"][0]);
    }
}
