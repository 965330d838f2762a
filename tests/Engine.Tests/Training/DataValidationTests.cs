using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>Bad data is refused before training starts, every problem named with its pointer.</summary>
[Collection(TrainingCollection.Name)]
public class DataValidationTests
{
    static readonly ModelGraph TwoInputs = GraphBuilder.Build("""
    { "inputs": [{"name": "text", "shape": [5], "dtype": "int32"}, {"name": "extra", "shape": [3]}],
      "nodes": [
        {"name": "cast", "type": "Dense", "config": {"units": 4}, "inputs": ["text"]},
        {"name": "joined", "type": "Concatenate", "config": {}, "inputs": ["cast", "extra"]},
        {"name": "answer", "type": "Dense", "config": {"units": 3, "activation": "softmax"}, "inputs": ["joined"]},
        {"name": "flag", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["joined"]} ],
      "outputs": ["answer", "flag"] }
    """);

    static IReadOnlyList<GraphDiagnostic> Errors(FitData data, string loss = """{"answer": "sparse_categorical_crossentropy", "flag": "binary_crossentropy"}""", string fit = "{}")
    {
        using var model = KerasModel.Create(TwoInputs, "cpu", seed: 0);
        model.Compile(CompileOptions.Parse($$"""{"loss": {{loss}}, "metrics": ["acc"]}"""));
        var error = Assert.Throws<GraphValidationException>(() => model.Fit(data, FitOptions.Parse(fit)));
        // Nothing trained: the optimizer never stepped.
        Assert.Equal(0, model.Optimizer!.Iterations);
        return error.Errors;
    }

    static Tensor Ints(long n, long width, long high) => randint(high, [n, width], dtype: ScalarType.Int32);

    [Fact]
    public void MissingAndExtraNamesAreReported()
    {
        var data = new FitData(
            NamedArrays.Named([new("text", Ints(10, 5, 9)), new("extras", rand(10, 3))]),
            NamedArrays.Named([new("answer", zeros(10, dtype: ScalarType.Int64)), new("flags", zeros(10, 1))]));
        var errors = Errors(data);
        Assert.Contains(errors, e => e.Pointer == "/x/extras" && e.Message.Contains("not an input") && e.Message.Contains("'extra'"));
        Assert.Contains(errors, e => e.Pointer == "/x" && e.Message.Contains("Input 'extra' is missing"));
        Assert.Contains(errors, e => e.Pointer == "/y/flags" && e.Message.Contains("not an output"));
        Assert.Contains(errors, e => e.Pointer == "/y" && e.Message.Contains("'flag'"));
    }

    [Fact]
    public void ListCountsAndFirstDimensionsMustAgree()
    {
        Assert.Contains(Errors(new FitData(NamedArrays.List(Ints(10, 5, 9)), NamedArrays.List(zeros(10), zeros(10)))),
            e => e.Pointer == "/x" && e.Message.Contains("2 inputs") && e.Message.Contains("gives 1 array"));
        var errors = Errors(new FitData(NamedArrays.List(Ints(10, 5, 9), rand(9, 3)), NamedArrays.List(zeros(10), zeros(8, 1))));
        Assert.Contains(errors, e => e.Pointer == "/x/1" && e.Message.Contains("has 9 samples, but /x/0 has 10"));
        Assert.Contains(errors, e => e.Pointer == "/y/1" && e.Message.Contains("has 8 samples"));
    }

    [Fact]
    public void ShapesAndLabelRangesMustFitTheHeads()
    {
        var x = NamedArrays.List(Ints(6, 5, 9), rand(6, 3));
        // Sparse labels out of range, and a target with two columns for a one-unit head.
        var errors = Errors(new FitData(x, NamedArrays.List(tensor(new long[] { 0, 1, 2, 3, 1, 0 }), zeros(6, 2))));
        Assert.Contains(errors, e => e.Pointer == "/y/0" && e.Message.Contains("[0, 2]") && e.Message.Contains("[0, 3]"));
        Assert.Contains(errors, e => e.Pointer == "/y/1" && e.Message.Contains("(None, 1)") && e.Message.Contains("(6, 2)"));
        // One-hot rows of the wrong width for categorical crossentropy.
        var oneHot = Errors(new FitData(x, NamedArrays.List(zeros(6, 4), zeros(6))), loss: """["categorical_crossentropy", "binary_crossentropy"]""");
        Assert.Contains(oneHot, e => e.Pointer == "/y/0" && e.Message.Contains("3 columns, not 4"));
        // Class ids where one-hot rows are needed.
        var ids = Errors(new FitData(x, NamedArrays.List(zeros(6), zeros(6))), loss: """["categorical_crossentropy", "binary_crossentropy"]""");
        Assert.Contains(ids, e => e.Pointer == "/y/0" && e.Message.Contains("to_categorical"));
        // Fractions are not class ids.
        Assert.Contains(Errors(new FitData(x, NamedArrays.List(full(6, 0.5), zeros(6)))), e => e.Pointer == "/y/0" && e.Message.Contains("whole numbers"));
    }

    [Fact]
    public void NonFiniteValuesAndWrongInputShapesAreRefused()
    {
        using var extra = rand(4, 3);
        extra[1, 2] = tensor(float.NaN);
        var errors = Errors(new FitData(NamedArrays.List(Ints(4, 6, 9), extra), NamedArrays.List(zeros(4), zeros(4))));
        Assert.Contains(errors, e => e.Pointer == "/x/0" && e.Message.Contains("(None, 5)") && e.Message.Contains("(4, 6)"));
        Assert.Contains(errors, e => e.Pointer == "/x/1" && e.Message.Contains("NaN"));
        Assert.Contains(Errors(new FitData(NamedArrays.List(full(4, 5, 1.5), rand(4, 3)), NamedArrays.List(zeros(4), zeros(4)))),
            e => e.Pointer == "/x/0" && e.Message.Contains("whole numbers"));
    }

    [Fact]
    public void SettingsThatCannotWorkWithTheDataAreRefused()
    {
        var data = new FitData(NamedArrays.List(Ints(4, 5, 9), rand(4, 3)), NamedArrays.List(zeros(4), zeros(4)));
        var errors = Errors(data, fit: """{"validation_split": 0.9, "class_weight": {"0": 1, "1": 2}, "callbacks": [{"type": "EarlyStopping", "monitor": "val_answer_acc"}]}""");
        Assert.Contains(errors, e => e.Pointer == "/validation_split" && e.Message.Contains("nothing to train on"));
        Assert.Contains(errors, e => e.Pointer == "/class_weight" && e.Message.Contains("by output name"));
        Assert.Contains(errors, e => e.Pointer == "/callbacks/0/monitor" && e.Message.Contains("no validation data"));

        // The same checks without a model, as the service runs them when a run is submitted.
        var plan = TrainingPlan.Resolve(TwoInputs, CompileOptions.Parse("""{"loss": ["sparse_categorical_crossentropy", "binary_crossentropy"], "metrics": ["acc"]}"""));
        var diagnostics = new DiagnosticBag();
        var fit = FitOptions.Parse(System.Text.Json.Nodes.JsonNode.Parse("""{"validation_split": 0.9}"""), diagnostics, "/fit")!;
        Assert.False(FitPreparation.Check(TwoInputs, plan, data, fit, diagnostics));
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/validation_split");
        Assert.True(FitPreparation.Check(TwoInputs, plan, data, new FitOptions(), new DiagnosticBag()));
    }

    [Fact]
    public void FitSettingsParseWithPointers()
    {
        var diagnostics = new DiagnosticBag();
        var parsed = FitOptions.Parse(System.Text.Json.Nodes.JsonNode.Parse("""
            {"epochs": 0, "batch_size": "big", "shufle": true, "callbacks": [{"type": "EarlyStoping"}, {"type": "ReduceLROnPlateau", "factor": 2},
             {"type": "ModelCheckpoint", "filepath": "../escape.ckpt"}]}
            """), diagnostics, "/fit", checkpointDirectory: "/tmp/run");
        Assert.Null(parsed);
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/epochs");
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/batch_size");
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/shufle");
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/callbacks/0" && e.Message.Contains("'EarlyStopping'"));
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/callbacks/1/factor");
        Assert.Contains(diagnostics.Errors, e => e.Pointer == "/fit/callbacks/2/filepath" && e.Message.Contains(".."));
        Assert.All(diagnostics.Errors, e => Assert.Null(e.Node));
    }

    [Fact]
    public void FreeSizesAreCheckedWithTheDataSizes()
    {
        // Any length fits the graph, but two lengths that differ cannot be concatenated.
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "a", "shape": [null, 4]}, {"name": "b", "shape": [null, 4]}],
          "nodes": [
            {"name": "joined", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["a", "b"]},
            {"name": "out", "type": "Dense", "config": {"units": 1}, "inputs": ["joined"]} ],
          "outputs": ["out"] }
        """);
        using var model = KerasModel.Create(graph, "cpu", seed: 0);
        model.Compile(CompileOptions.Parse("""{"loss": "mse"}"""));
        var error = Assert.Throws<GraphValidationException>(() =>
            model.Fit(new FitData(NamedArrays.Named([new("a", rand(4, 3, 4)), new("b", rand(4, 5, 4))]), zeros(4, 3, 1)), new FitOptions()));
        var finding = Assert.Single(error.Errors);
        Assert.Equal("/x/a", finding.Pointer);
        Assert.Contains("a (4, 3, 4), b (4, 5, 4)", finding.Message);
        Assert.Contains("'joined'", finding.Message);
    }

    [Fact]
    public void EmbeddingIndicesOutsideTheVocabularyAreRefused()
    {
        var diagnostics = new DiagnosticBag();
        var graph = GraphBuilder.TryBuild(Examples.ExampleGraphs.LoadKnown("qa-two-input.json"), diagnostics)!;
        using var model = KerasModel.Create(graph, "cpu", seed: 0);
        model.Compile(CompileOptions.Parse("""{"loss": "sparse_categorical_crossentropy"}"""));
        var data = new FitData(NamedArrays.Named([new("text", Ints(4, 7, 10_000)), new("question", Ints(4, 7, 10_000) + 5_000)]), zeros(4));
        var errors = Assert.Throws<GraphValidationException>(() => model.Fit(data, new FitOptions())).Errors;
        var error = Assert.Single(errors);
        Assert.Equal("/x/question", error.Pointer);
        Assert.Contains("Embedding 'embedded_question' (input_dim 10000)", error.Message);
        // Where no Embedding reads an integer input, any whole numbers are fine.
        var plain = new FitData(NamedArrays.List(Ints(4, 5, 100_000), rand(4, 3)), NamedArrays.List(zeros(4), zeros(4)));
        using var other = KerasModel.Create(TwoInputs, "cpu", seed: 0);
        other.Compile(CompileOptions.Parse("""{"loss": ["sparse_categorical_crossentropy", "binary_crossentropy"]}"""));
        Assert.True(DataPreparation.Check(other.Graph, other.Plan!, plain, new DiagnosticBag()));
    }

    [Fact]
    public void ToCategoricalMatchesKeras()
    {
        using var labels = tensor(new long[] { 2, 0, 1 }).reshape(3, 1);
        using var oneHot = Categorical.ToCategorical(labels, 4);
        Assert.Equal([3L, 4L], oneHot.shape);
        Assert.Equal(ScalarType.Float32, oneHot.dtype);
        Assert.Equal(new float[] { 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0 }, oneHot.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(labels, 2));
    }
}
