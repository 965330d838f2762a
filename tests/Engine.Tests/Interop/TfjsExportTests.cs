using System.IO.Compression;
using System.Text.Json.Nodes;
using TrainService.Engine.Interop;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Interop;

/// <summary>
/// Models imported from TensorFlow.js, trained here for a few steps, exported as a tfjs zip, and
/// loaded back by TensorFlow.js under Node (tf.loadLayersModel): tfjs must predict what we predict.
/// </summary>
public class TfjsExportTests
{
    public static TheoryData<string> Models() => TfjsImportTests.Models();

    [Theory]
    [MemberData(nameof(Models))]
    public void TrainedModelLoadsInTensorFlowJsWithEqualPredictions(string name)
    {
        var (file, shards) = InteropFixtures.TfjsFiles(name);
        var imported = KerasImporter.Import(file, shards);
        var expected = InteropFixtures.Expected(name);

        using var scope = NewDisposeScope();
        using var model = KerasModel.Create(imported.Graph, "cpu", seed: 3);
        model.SetWeights(imported.Weights!.ToDictionary(w => w.Key, w => w.Value.ToTensor()));
        var inputs = expected["inputs"]!.AsArray().Select(i => InteropFixtures.ToTensor(i!)).ToArray();
        var before = InteropFixtures.Predict(model.Module, inputs);
        // Targets away from the current predictions, so that training moves every output.
        var targets = before.Select(p => (p * 0.5 + 0.25).detach()).ToArray();
        model.Compile(CompileOptions.Parse("""{"optimizer": {"type": "sgd", "learning_rate": 0.1}, "loss": "mse"}"""));
        model.Fit(new FitData(NamedArrays.List(inputs), NamedArrays.List(targets)), new FitOptions { Epochs = 2, BatchSize = 2, Shuffle = false });
        var trained = ModelWeights.Read(model.Module);
        Assert.Contains(trained, w => !w.Value.Data.SequenceEqual(imported.Weights![w.Key].Data));

        var folder = Directory.CreateTempSubdirectory("tfjs-export-").FullName;
        try
        {
            using (var zip = new MemoryStream())
            {
                KerasExporter.WriteTfjsZip(zip, imported.Graph, trained);
                zip.Position = 0;
                ZipFile.ExtractToDirectory(zip, folder);
            }
            var ours = InteropFixtures.Predict(model.Module, inputs);
            var theirs = TensorFlowJsProcess.LoadAndPredict(folder, expected["inputs"]!.AsArray());
            InteropFixtures.AssertClose(ours, ToFloat(theirs), $"'{name}' exported and loaded by TensorFlow.js (compared the other way round)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>tfjs's outputs as fixture arrays (float32), to compare with <see cref="InteropFixtures.AssertClose"/>.</summary>
    static JsonArray ToFloat(JsonArray outputs) =>
        new(outputs.Select(o => (JsonNode)new JsonObject { ["shape"] = o!["shape"]!.DeepClone(), ["dtype"] = "float32", ["data"] = o["data"]!.DeepClone() }).ToArray());
}
