using TrainService.Engine.Interop;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Interop;

/// <summary>
/// Models TensorFlow.js built and saved (tools/keras-reference/export-models.js): model.json and
/// its weight shard imported as they are, then run on tfjs's inputs; outputs must equal tfjs's.
/// </summary>
public class TfjsImportTests
{
    public static TheoryData<string> Models()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(InteropFixtures.Directory, "tfjs_*").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(dir));
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PredictionsEqualTensorFlowJs(string name)
    {
        var (model, shards) = InteropFixtures.TfjsFiles(name);
        var imported = KerasImporter.Import(model, shards);
        Assert.Equal(KerasFileFormat.TfjsLayersModel, imported.Format);
        Assert.Equal(KerasDialect.TensorFlowJs, imported.Dialect);
        Assert.NotNull(imported.Weights);

        using var scope = NewDisposeScope();
        var expected = InteropFixtures.Expected(name);
        InteropFixtures.AssertClose(InteropFixtures.Predict(imported, expected), expected["outputs"]!.AsArray(), name);
    }
}
