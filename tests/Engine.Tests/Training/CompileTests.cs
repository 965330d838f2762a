using TrainService.Engine.Graph;
using TrainService.Engine.Training.Compile;

namespace TrainService.Engine.Tests.Training;

public class CompileTests
{
    static TrainingPlan Plan(string compile) => TrainingPlan.Resolve(TrainingGraphs.ThreeHeads(), CompileOptions.Parse(compile));

    static IReadOnlyList<GraphDiagnostic> Errors(string compile, ModelGraph? graph = null)
    {
        var diagnostics = new DiagnosticBag();
        var options = CompileOptions.Parse(System.Text.Json.Nodes.JsonNode.Parse(compile), diagnostics, "/compile");
        if (options is not null) TrainingPlan.Resolve(graph ?? TrainingGraphs.ThreeHeads(), options, diagnostics);
        return diagnostics.Errors.ToList();
    }

    [Fact]
    public void ListAndDictFormsLogKerasNames()
    {
        string[] expected = ["loss", "age_loss", "income_loss", "gender_loss", "age_acc", "income_acc", "gender_acc"];
        Assert.Equal(expected, Plan("""{"optimizer": "rmsprop", "loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "metrics": ["acc"]}""").MetricsNames);
        Assert.Equal(expected, Plan("""{"optimizer": "rmsprop", "loss": {"gender": "binary_crossentropy", "age": "mse", "income": "categorical_crossentropy"}, "metrics": ["acc"]}""").MetricsNames);
    }

    [Fact]
    public void MetricsPerOutputKeepTheNameAsWritten()
    {
        var byList = Plan("""{"loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "metrics": [["mae"], ["accuracy", "top_k_categorical_accuracy"], ["acc", "auc"]]}""");
        Assert.Equal(["loss", "age_loss", "income_loss", "gender_loss", "age_mae", "income_accuracy", "income_top_k_categorical_accuracy", "gender_acc", "gender_auc"], byList.MetricsNames);
        var byDict = Plan("""{"loss": "mse", "metrics": {"gender": "acc", "income": ["acc", {"type": "top_k_categorical_accuracy", "k": 2, "name": "top2"}]}}""");
        Assert.Equal(["loss", "age_loss", "income_loss", "gender_loss", "income_acc", "income_top2", "gender_acc"], byDict.MetricsNames);
    }

    [Fact]
    public void SingleOutputNamesHaveNoPrefix()
    {
        var plan = TrainingPlan.Resolve(TrainingGraphs.Mlp(), CompileOptions.Parse("""{"loss": "categorical_crossentropy", "metrics": ["acc", "mse"], "weighted_metrics": ["acc"]}"""));
        Assert.Equal(["loss", "acc", "mse", "weighted_acc"], plan.MetricsNames);
    }

    [Fact]
    public void LossWeightsAsListOrDict()
    {
        var list = Plan("""{"loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "loss_weights": [0.25, 1.0, 10.0]}""");
        var dict = Plan("""{"loss": {"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"}, "loss_weights": {"age": 0.25, "gender": 10}}""");
        Assert.Equal([0.25, 1.0, 10.0], list.Heads.Select(h => h.LossWeight));
        Assert.Equal([0.25, 1.0, 10.0], dict.Heads.Select(h => h.LossWeight));
    }

    [Fact]
    public void OptimizerDefaultsAreKeras()
    {
        var plan = Plan("""{"optimizer": "RMSprop", "loss": "mse"}""");
        Assert.Equal("""{"type":"rmsprop","learning_rate":0.001,"rho":0.9,"momentum":0,"epsilon":1E-07,"centered":false,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null}""",
            plan.Optimizer.ToJson().ToJsonString());
        Assert.Equal(0.01, Plan("""{"optimizer": "sgd", "loss": "mse"}""").Optimizer.LearningRate);
        Assert.Equal(0.002, Plan("""{"optimizer": {"type": "adam", "lr": 0.002}, "loss": "mse"}""").Optimizer.LearningRate);
    }

    [Fact]
    public void UnknownNamesAreErrorsWithPointersAndSuggestions()
    {
        var errors = Errors("""{"optimizer": "adamm", "loss": {"age": "mse", "incme": "categorical_crossentropy", "gender": "binary_crosentropy"}, "metrics": {"gender": ["accurcy"]}, "loss_weight": [1]}""");
        Assert.Contains(errors, e => e.Pointer == "/compile/optimizer" && e.Message.Contains("Unknown optimizer 'adamm'") && e.Message.Contains("'adam'"));
        Assert.Contains(errors, e => e.Pointer == "/compile/loss/gender" && e.Message.Contains("'binary_crossentropy'"));
        Assert.Contains(errors, e => e.Pointer == "/compile/metrics/gender/0" && e.Message.Contains("'accuracy'"));
        Assert.Contains(errors, e => e.Pointer == "/compile/loss_weight" && e.Message.Contains("Unknown compile setting"));
    }

    [Fact]
    public void LossDictNamingNoOutputAndWrongListLengthAreErrors()
    {
        var errors = Errors("""{"loss": {"age": "mse", "salary": "mse"}, "loss_weights": [1, 2], "metrics": [["acc"], ["acc"]]}""");
        Assert.Contains(errors, e => e.Pointer == "/compile/loss/salary" && e.Message.Contains("not an output") && e.Message.Contains("'income'"));
        Assert.Contains(errors, e => e.Pointer == "/compile/loss_weights" && e.Message.Contains("lists 2 loss weights but the model has 3 outputs"));
        Assert.Contains(errors, e => e.Pointer == "/compile/metrics" && e.Message.Contains("3 outputs"));
    }

    [Fact]
    public void BadSettingsAreErrors()
    {
        var errors = Errors("""{"optimizer": {"type": "sgd", "momentum": 2, "nesterov": "yes", "learning_rate": {"class_name": "ExponentialDecay"}}, "loss": {"type": "huber", "delta": -1}}""");
        Assert.Contains(errors, e => e.Pointer == "/compile/optimizer/momentum");
        Assert.Contains(errors, e => e.Pointer == "/compile/optimizer/nesterov");
        Assert.Contains(errors, e => e.Pointer == "/compile/optimizer/learning_rate" && e.Message.Contains("schedules"));
        Assert.Contains(errors, e => e.Pointer == "/compile/loss/delta");
        Assert.Contains(Errors("""{"optimizer": "sgd"}"""), e => e.Pointer == "/compile/loss");
    }

    [Fact]
    public void DuplicateLogNamesAreErrors()
    {
        var errors = Errors("""{"loss": "mse", "metrics": {"age": ["mae", "mae"]}}""");
        Assert.Contains(errors, e => e.Pointer == "/compile/metrics/age/1" && e.Message.Contains("age_mae"));
    }
}
