using System.IO.Compression;
using System.Text.Json.Nodes;
using PureHDF;
using TrainService.Engine.Interop;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Interop;

/// <summary>
/// Keras's own files: a Keras 3 .keras archive (our exporter's, read back) and a Keras 2 .h5 model
/// file written here with PureHDF in Keras 2's layout, each carrying TensorFlow.js's weights of a
/// fixture, so that the imported model must predict what TensorFlow.js predicted.
/// </summary>
public class KerasFileTests
{
    const string Fixture = "tfjs_nested_multi_output";

    static ImportedModel FromTfjs(string name = Fixture)
    {
        var (file, shards) = InteropFixtures.TfjsFiles(name);
        return KerasImporter.Import(file, shards);
    }

    [Fact]
    public void KerasArchiveRoundTripsWithItsWeights()
    {
        var original = FromTfjs();
        using var archive = new MemoryStream();
        KerasExporter.WriteKerasArchive(archive, original.Graph, original.Weights!);
        var bytes = archive.ToArray();

        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
        {
            Assert.Equal(["metadata.json", "config.json", "model.weights.h5"], zip.Entries.Select(e => e.FullName));
            var config = JsonNode.Parse(zip.GetEntry("config.json")!.Open())!;
            Assert.Equal("keras.src.models.functional", config["module"]!.GetValue<string>());
            var pair = config["config"]!["layers"]!.AsArray().Single(l => l!["name"]!.GetValue<string>() == "pair")!;
            // Keras 3: a nested model's calls are keras_history 0 and 1 in inbound nodes.
            Assert.Equal(2, pair["inbound_nodes"]!.AsArray().Count);
            Assert.Equal("__keras_tensor__", pair["inbound_nodes"]![1]!["args"]![0]!["class_name"]!.GetValue<string>());
            using var weights = new MemoryStream();
            zip.GetEntry("model.weights.h5")!.Open().CopyTo(weights);
            using var h5 = H5File.Open(new MemoryStream(weights.ToArray()), false);
            // Keras 3 keys a model's layers by class, counted: the nested model's BatchNormalization and its third Dense.
            Assert.Equal([4L, 5L], h5.Dataset("layers/functional/layers/dense/vars/0").Space.Dimensions.Select(d => (long)d));
            Assert.Equal([2L], h5.Dataset("layers/functional/layers/batch_normalization/vars/3").Space.Dimensions.Select(d => (long)d));
            Assert.True(h5.LinkExists("layers/sequential/layers/dense_1/vars/1") || h5.LinkExists("layers/functional_2/layers/dense_1/vars/1"));
        }

        var reimported = KerasImporter.Import(bytes);
        Assert.Equal(KerasFileFormat.KerasArchive, reimported.Format);
        Assert.Equal(KerasDialect.Keras3, reimported.Dialect);
        Assert.Equal(original.Graph.TotalParams, reimported.Graph.TotalParams);
        using var scope = NewDisposeScope();
        var expected = InteropFixtures.Expected(Fixture);
        InteropFixtures.AssertClose(InteropFixtures.Predict(reimported, expected), expected["outputs"]!.AsArray(), "the .keras archive");
    }

    [Fact]
    public void KerasArchiveRefusesKeras2HardSigmoid()
    {
        var recurrent = FromTfjs("tfjs_recurrent_hard_sigmoid");
        var error = Assert.Throws<KerasExportException>(() => KerasExporter.WriteKerasArchive(new MemoryStream(), recurrent.Graph, recurrent.Weights!));
        Assert.Contains("'lstm' uses Keras 2's hard_sigmoid", error.Message);
    }

    [Fact]
    public void KerasH5ModelFileImportsByKeras2Layout()
    {
        var original = FromTfjs();
        var topology = JsonNode.Parse(InteropFixtures.TfjsFiles(Fixture).Model)!["modelTopology"]!;
        var w = original.Weights!;
        H5Dataset Data(string key) => new(w[key].Data, fileDims: w[key].Shape.Select(d => (ulong)d).ToArray());

        // Keras 2's layout: model_weights/<layer> lists weight_names in the model's layer order (by
        // depth: pair's second before first), trainable weights first; the
        // datasets sit at the names' paths. Written by hand, not by our exporter.
        var layers = new Dictionary<string, string[]>
        {
            ["pair"] = ["hidden/kernel:0", "hidden/bias:0", "second/kernel:0", "second/bias:0", "first/kernel:0", "first/bias:0", "norm/gamma:0", "norm/beta:0", "norm/moving_mean:0", "norm/moving_variance:0"],
            ["middle"] = ["inner_dense/kernel:0", "inner_dense/bias:0", "middle_dense/kernel:0", "middle_dense/bias:0"],
            ["stack"] = ["stack_1/kernel:0", "stack_1/bias:0", "stack_2/kernel:0", "stack_2/bias:0"],
        };
        var keys = new Dictionary<string, string[]>
        {
            ["pair"] = ["pair/hidden/kernel", "pair/hidden/bias", "pair/second/kernel", "pair/second/bias", "pair/first/kernel", "pair/first/bias", "pair/norm/gamma", "pair/norm/beta", "pair/norm/moving_mean", "pair/norm/moving_variance"],
            ["middle"] = ["middle/inner/inner_dense/kernel", "middle/inner/inner_dense/bias", "middle/middle_dense/kernel", "middle/middle_dense/bias"],
            ["stack"] = ["stack/stack_1/kernel", "stack/stack_1/bias", "stack/stack_2/kernel", "stack/stack_2/bias"],
        };
        var modelWeights = new H5Group { Attributes = new() { ["layer_names"] = new[] { "a", "b", "pair", "sum", "cat", "middle", "stack", "out" } } };
        foreach (var (layer, names) in layers)
        {
            var group = new H5Group { Attributes = new() { ["weight_names"] = names } };
            for (int i = 0; i < names.Length; i++)
            {
                var parts = names[i].Split('/');
                if (!group.TryGetValue(parts[0], out var sub)) group[parts[0]] = sub = new H5Group();
                ((H5Group)sub)[parts[1]] = Data(keys[layer][i]);
            }
            modelWeights[layer] = group;
        }
        foreach (var empty in new[] { "a", "b", "sum", "cat", "out" })
            modelWeights[empty] = new H5Group { Attributes = new() { ["weight_names"] = Array.Empty<string>() } };
        var file = new H5File
        {
            ["model_weights"] = modelWeights,
            Attributes = new() { ["model_config"] = topology.ToJsonString(), ["keras_version"] = "2.12.0", ["backend"] = "tensorflow" },
        };
        using var stream = new MemoryStream();
        file.Write(stream);

        var imported = KerasImporter.Import(stream.ToArray());
        Assert.Equal(KerasFileFormat.KerasH5, imported.Format);
        Assert.Equal(KerasDialect.Keras2, imported.Dialect);
        using var scope = NewDisposeScope();
        var expected = InteropFixtures.Expected(Fixture);
        InteropFixtures.AssertClose(InteropFixtures.Predict(imported, expected), expected["outputs"]!.AsArray(), "the Keras 2 .h5 file");
    }
}
