using System.Text.Json.Nodes;
using PureHDF;
using PureHDF.VOL.Native;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>
/// Keras's HDF5 files, read and written with PureHDF. A Keras 2 model file (model.save("m.h5"))
/// holds the model's JSON in the root attribute model_config and its weights in
/// model_weights/&lt;layer&gt;, listed by the attribute weight_names, trainable weights first. A Keras 3
/// weights file (model.weights.h5 inside a .keras archive) holds weight i of a layer at
/// layers/&lt;class&gt;[_n]/.../vars/&lt;i&gt;.
/// </summary>
public static class KerasH5
{
    public static readonly byte[] Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    public static bool IsHdf5(ReadOnlySpan<byte> bytes) => bytes.StartsWith(Signature);

    /// <summary>Opens HDF5 bytes; a file PureHDF cannot read is an import error at <paramref name="pointer"/>.</summary>
    public static NativeFile Open(byte[] bytes, string pointer, string what)
    {
        try
        {
            return H5File.Open(new MemoryStream(bytes, writable: false), false);
        }
        catch (Exception e) when (e is not OutOfMemoryException || IsOversizedArray(e))
        {
            throw new KerasImportException(pointer, $"{what} is not a readable HDF5 file: {e.Message}");
        }
    }

    /// <summary>The model config of a Keras 2 .h5 model file, and its keras_version.</summary>
    public static (JsonObject Model, string? KerasVersion) ReadModelConfig(NativeFile file)
    {
        var text = Guard("/model_config", "the attribute model_config", () => file.AttributeExists("model_config") ? file.Attribute("model_config").Read<string>() : null);
        if (text is null)
            throw new KerasImportException("/", "The HDF5 file has no model_config attribute: it holds weights only (save_weights), not a model. Send a model saved with model.save(\"model.h5\"), or its JSON and weights.");
        JsonNode? json;
        try
        {
            json = JsonNode.Parse(text, documentOptions: KerasImporter.JsonOptions).EnsureText();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new KerasImportException("/model_config", $"The model_config attribute is not valid JSON: {e.Message}");
        }
        if (json is not JsonObject model)
            throw new KerasImportException("/model_config", "The model_config attribute is not a model object {class_name, config}.");
        var version = file.AttributeExists("keras_version") ? Guard("/keras_version", "keras_version", () => file.Attribute("keras_version").Read<string>()) : null;
        return (model, version);
    }

    /// <summary>Keras 2's weights: per top-level layer, weight_names in order (Keras loads them by position).</summary>
    public static Dictionary<string, WeightArray>? ReadLegacyWeights(NativeFile file, IReadOnlyList<WeightSlot> slots, DiagnosticBag errors)
    {
        var root = Guard("/model_weights", "model_weights", () => file.LinkExists("model_weights") ? (IH5Group)file.Group("model_weights") : file);
        var rootPath = root == file ? "" : "/model_weights";
        var result = new Dictionary<string, WeightArray>(StringComparer.Ordinal);
        foreach (var (layer, weights) in KerasWeightLayout.H5Groups(slots))
        {
            var groupPath = $"{rootPath}/{layer}";
            var group = Guard(groupPath, $"the weights of layer '{layer}'", () => root.LinkExists(layer) ? root.Group(layer) : null);
            if (group is null)
            {
                errors.Error(groupPath, $"The file has no weights for layer '{layer}' (no group {groupPath}).", layer);
                continue;
            }
            var names = Guard(groupPath + "/weight_names", "weight_names", () => group.AttributeExists("weight_names") ? group.Attribute("weight_names").Read<string[]>() : []);
            if (names.Length != weights.Count)
            {
                errors.Error(groupPath, $"Layer '{layer}' has {weights.Count} weights ({string.Join(", ", weights.Select(w => w.Key))}) but the file holds {names.Length} ({string.Join(", ", names)}).", layer);
                continue;
            }
            for (int i = 0; i < names.Length; i++)
            {
                var path = $"{groupPath}/{names[i]}";
                var value = ReadDataset(group, names[i], path, errors, layer);
                if (value is not null && Check(value, weights[i], path, errors)) result[weights[i].Key] = value;
            }
        }
        return errors.HasErrors ? null : result;
    }

    /// <summary>Keras 3's weights: layers/&lt;class&gt;/.../vars/&lt;i&gt;, per the model's layout.</summary>
    public static Dictionary<string, WeightArray>? ReadKeras3Weights(NativeFile file, IReadOnlyList<WeightSlot> slots, string pointer, DiagnosticBag errors)
    {
        var result = new Dictionary<string, WeightArray>(StringComparer.Ordinal);
        foreach (var group in slots.GroupBy(s => s.Keras3Group))
        {
            var varsPath = group.Key + "/vars";
            var vars = Guard(pointer + "/" + varsPath, varsPath, () => file.LinkExists(varsPath) ? file.Group(varsPath) : null);
            var first = group.First();
            if (vars is null)
            {
                errors.Error($"{pointer}/{varsPath}", $"The weights file has no group {varsPath} for layer '{first.LayerPath}'.", first.LayerPath);
                continue;
            }
            var held = Guard(pointer + "/" + varsPath, varsPath, () => vars.Children().Count());
            if (held != group.Count())
                errors.Error($"{pointer}/{varsPath}", $"Layer '{first.LayerPath}' has {group.Count()} weights here but the file holds {held} in {varsPath}.", first.LayerPath);
            foreach (var slot in group)
            {
                var name = slot.Keras3Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                var path = $"{pointer}/{varsPath}/{name}";
                var value = Guard(path, path, () => vars.LinkExists(name)) ? ReadDataset(vars, name, path, errors, slot.LayerPath) : null;
                if (value is null)
                {
                    if (!errors.All.Any(e => e.Pointer == path))
                        errors.Error(path, $"The weights file has no {slot.Spec.Name} {slot.ShapeText} for layer '{slot.LayerPath}' (dataset {varsPath}/{name}).", slot.LayerPath);
                }
                else if (Check(value, slot, path, errors)) result[slot.Key] = value;
            }
        }
        return errors.HasErrors ? null : result;
    }

    /// <summary>A Keras 3 weights file: every weight at its layers/.../vars/i, an empty vars group for the model itself.</summary>
    public static byte[] WriteKeras3Weights(IReadOnlyList<WeightSlot> slots, IReadOnlyDictionary<string, WeightArray> values)
    {
        var file = new H5File { ["vars"] = new H5Group() };
        foreach (var slot in slots)
        {
            var group = (H5Group)file;
            foreach (var part in (slot.Keras3Group + "/vars").Split('/'))
            {
                if (!group.TryGetValue(part, out var child)) group[part] = child = new H5Group();
                group = (H5Group)child;
            }
            var value = values[slot.Key];
            group[slot.Keras3Index.ToString(System.Globalization.CultureInfo.InvariantCulture)] =
                new H5Dataset(value.Data, fileDims: value.Shape.Select(d => (ulong)d).ToArray());
        }
        using var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }

    /// <summary>Largest single weight read from a file (1 GiB, 268 million float32 values).</summary>
    const long MaxWeightBytes = 1L << 30;

    static WeightArray? ReadDataset(IH5Group group, string name, string path, DiagnosticBag errors, string layer)
    {
        try
        {
            var dataset = group.Dataset(name);
            var shape = dataset.Space.Dimensions.Select(d => (long)d).ToArray();
            // A damaged or hostile file may declare any size: refuse before allocating it.
            double values = shape.Aggregate(1.0, (product, d) => product * d);
            if (shape.Any(d => d < 0) || values * dataset.Type.Size > MaxWeightBytes)
                throw new InvalidDataException($"it declares {values:G} values of {dataset.Type.Size} bytes, more than the {MaxWeightBytes:N0} bytes one weight may have");
            float[] data = dataset.Type.Class switch
            {
                H5DataTypeClass.FloatingPoint when dataset.Type.Size == 4 => dataset.Read<float[]>(),
                H5DataTypeClass.FloatingPoint when dataset.Type.Size == 8 => dataset.Read<double[]>().Select(v => (float)v).ToArray(),
                _ => throw new InvalidDataException($"its data type is {dataset.Type.Class} of {dataset.Type.Size} bytes, not float32"),
            };
            return new WeightArray(shape, data);
        }
        catch (Exception e) when (e is not OutOfMemoryException || IsOversizedArray(e))
        {
            errors.Error(path, $"The weight {path} of layer '{layer}' cannot be read: {e.Message}", layer);
            return null;
        }
    }

    static bool Check(WeightArray value, WeightSlot slot, string path, DiagnosticBag errors)
    {
        if (value.Shape.SequenceEqual(slot.Spec.Shape)) return true;
        errors.Error(path, $"The {slot.Spec.Name} of layer '{slot.LayerPath}' is {slot.ShapeText} but {path} is {value.ShapeText}.", slot.LayerPath);
        return false;
    }

    /// <summary>Runs a read of the file, turning a failure of the library (a corrupt file) into an import error at <paramref name="pointer"/>.</summary>
    /// <summary>
    /// A damaged HDF5 header makes the reader ask for an array longer than .NET allows, which .NET
    /// reports as OutOfMemoryException before allocating anything: that is the file's fault, not
    /// the machine's, and is answered like any other damage. A real lack of memory still propagates.
    /// </summary>
    static bool IsOversizedArray(Exception e) =>
        e is OutOfMemoryException && e.Message.Contains("Array dimensions exceeded supported range", StringComparison.Ordinal);

    static T Guard<T>(string pointer, string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not (OutOfMemoryException or KerasImportException) || IsOversizedArray(e))
        {
            throw new KerasImportException(pointer, $"{what} cannot be read from the HDF5 file: {e.Message}");
        }
    }
}
