using System.Buffers.Binary;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Interop;

/// <summary>
/// TensorFlow.js's weights: model.json's weightsManifest lists groups of weights {name, shape,
/// dtype} stored back to back, little-endian, in the group's shard files concatenated in order.
/// </summary>
public static class TfjsWeights
{
    public sealed record ManifestWeight(string Name, long[] Shape, float[] Data, string Pointer);

    /// <summary>Decodes every weight the manifest lists; problems (a missing shard, short data, an unknown dtype) go to <paramref name="errors"/>.</summary>
    public static List<ManifestWeight> Read(JsonNode? manifest, string pointer, IReadOnlyDictionary<string, byte[]> shards, DiagnosticBag errors)
    {
        var weights = new List<ManifestWeight>();
        if (manifest is not JsonArray groups)
        {
            errors.Error(pointer, "weightsManifest must be a list of {paths, weights} groups.");
            return weights;
        }
        for (int g = 0; g < groups.Count; g++)
        {
            var groupPointer = JsonPointer.Append(pointer, g);
            if (groups[g] is not JsonObject group || group["paths"] is not JsonArray paths || group["weights"] is not JsonArray specs)
            {
                errors.Error(groupPointer, "A weightsManifest group is {\"paths\": [shard files], \"weights\": [{name, shape, dtype}]}.");
                continue;
            }
            using var data = new MemoryStream();
            var complete = true;
            for (int p = 0; p < paths.Count; p++)
            {
                var path = KerasModelConverter.Text(paths[p]);
                var file = path is null ? null : Path.GetFileName(path);
                if (file is not null && shards.TryGetValue(file, out var bytes)) data.Write(bytes);
                else
                {
                    errors.Error(JsonPointer.Append(JsonPointer.Append(groupPointer, "paths"), p),
                        $"The manifest names the weight file '{path}', which was not sent" + (shards.Count > 0 ? $" (sent: {string.Join(", ", shards.Keys.Order(StringComparer.Ordinal))})." : "; send every shard the manifest names as a 'weights' part."));
                    complete = false;
                }
            }
            if (!complete) continue;
            var buffer = data.ToArray();
            long offset = 0;
            for (int w = 0; w < specs.Count; w++)
            {
                var weightPointer = JsonPointer.Append(JsonPointer.Append(groupPointer, "weights"), w);
                if (ReadSpec(specs[w], weightPointer, errors) is not var (name, shape, dtype, quantization)) { complete = false; break; }
                var count = shape.Aggregate(1L, (a, b) => a * b);
                var width = quantization is null ? ElementSize(dtype) : ElementSize(KerasModelConverter.Text(quantization["dtype"]) ?? "");
                if (width == 0)
                {
                    errors.Error(JsonPointer.Append(weightPointer, "dtype"), $"Weight '{name}' has dtype {dtype}{(quantization is null ? "" : " quantized as " + quantization["dtype"]?.ToJsonString())}; float32, int32 and uint8/uint16 quantization are supported.", name);
                    complete = false;
                    break;
                }
                // Compared by division: count * width may overflow for a hostile shape.
                if (count < 0 || count > (buffer.Length - offset) / width)
                {
                    errors.Error(weightPointer, $"The weight files of group {g} end after {buffer.Length} bytes, before weight '{name}' {ShapeText(shape)} (it needs bytes {offset} to {offset + count * width}).", name);
                    complete = false;
                    break;
                }
                var values = Decode(buffer.AsSpan((int)offset, (int)(count * width)), dtype, quantization, count);
                weights.Add(new ManifestWeight(name, shape, values, weightPointer));
                offset += count * width;
            }
            if (complete && offset != buffer.Length)
                errors.Error(groupPointer, $"The weight files of group {g} hold {buffer.Length} bytes but its weights take {offset}: the files do not belong to this manifest.");
        }
        return weights;
    }

    static (string Name, long[] Shape, string DType, JsonObject? Quantization)? ReadSpec(JsonNode? node, string pointer, DiagnosticBag errors)
    {
        if (node is JsonObject spec && KerasModelConverter.Text(spec["name"]) is { } name && spec["shape"] is JsonArray shape &&
            shape.All(d => d is JsonValue v && v.TryGetValue<long>(out var n) && n >= 0))
            return (name, shape.Select(d => d!.GetValue<long>()).ToArray(), KerasModelConverter.Text(spec["dtype"]) ?? "float32", spec["quantization"] as JsonObject);
        errors.Error(pointer, $"A manifest weight is {{\"name\", \"shape\": [sizes], \"dtype\"}}, not {node?.ToJsonString() ?? "null"}.");
        return null;
    }

    static int ElementSize(string dtype) => dtype switch
    {
        "float32" or "int32" => 4,
        "uint16" => 2,
        "uint8" => 1,
        _ => 0,
    };

    static float[] Decode(ReadOnlySpan<byte> bytes, string dtype, JsonObject? quantization, long count)
    {
        var values = new float[count];
        if (quantization is not null)
        {
            // Affine quantization (tfjs-converter --quantize_uint8/uint16): value = q * scale + min.
            var scale = quantization["scale"] is JsonValue sv && sv.TryGetValue<double>(out var sd) ? sd : 1;
            var min = quantization["min"] is JsonValue mv && mv.TryGetValue<double>(out var md) ? md : 0;
            var wide = KerasModelConverter.Text(quantization["dtype"]) == "uint16";
            for (int i = 0; i < count; i++)
                values[i] = (float)((wide ? BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) : bytes[i]) * scale + min);
            return values;
        }
        for (int i = 0; i < count; i++)
            values[i] = dtype == "int32" ? BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]) : BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        return values;
    }

    /// <summary>
    /// Gives every weight of the model its value from the manifest: by TensorFlow.js's names when
    /// they all match (tfjs loads by name), otherwise by position in tfjs's order (trainable
    /// weights first), which is how tfjs writes them. Shapes must agree either way.
    /// </summary>
    public static Dictionary<string, WeightArray>? Match(IReadOnlyList<WeightSlot> slots, List<ManifestWeight> weights, string manifestPointer, DiagnosticBag errors)
    {
        var ordered = KerasWeightLayout.TfjsOrder(slots).ToList();
        var byName = new Dictionary<string, WeightSlot>(StringComparer.Ordinal);
        var uniqueNames = ordered.All(s => byName.TryAdd(s.TfjsName, s));
        var pairs = new List<(WeightSlot Slot, ManifestWeight Weight)>();
        if (uniqueNames && weights.Select(w => w.Name).Distinct().Count() == weights.Count && weights.All(w => byName.ContainsKey(w.Name)))
        {
            pairs.AddRange(weights.Select(w => (byName[w.Name], w)));
            foreach (var slot in ordered.Where(s => weights.All(w => w.Name != s.TfjsName)))
                errors.Error(manifestPointer, $"The manifest has no weight '{slot.TfjsName}' {slot.ShapeText}, the {slot.Spec.Name} of layer '{slot.LayerPath}'.", slot.LayerPath);
        }
        else if (weights.Count == ordered.Count)
            pairs.AddRange(ordered.Zip(weights));
        else
        {
            var unknown = weights.Where(w => !byName.ContainsKey(w.Name)).Select(w => $"'{w.Name}'").Take(5).ToList();
            errors.Error(manifestPointer, $"The manifest lists {weights.Count} weights and the model has {ordered.Count}"
                + (unknown.Count > 0 ? $"; these name no weight of the model: {string.Join(", ", unknown)}." : ".")
                + $" The model's weights are {string.Join(", ", ordered.Select(s => s.TfjsName))}.");
            return null;
        }
        var result = new Dictionary<string, WeightArray>(StringComparer.Ordinal);
        foreach (var (slot, weight) in pairs)
        {
            if (!weight.Shape.SequenceEqual(slot.Spec.Shape))
                errors.Error(weight.Pointer, $"Weight '{weight.Name}' has shape {ShapeText(weight.Shape)}, but the {slot.Spec.Name} of layer '{slot.LayerPath}' is {slot.ShapeText}.", slot.LayerPath);
            else
                result[slot.Key] = new WeightArray(weight.Shape, weight.Data);
        }
        return errors.HasErrors ? null : result;
    }

    internal static string ShapeText(long[] shape) => "(" + string.Join(", ", shape) + (shape.Length == 1 ? ",)" : ")");

    /// <summary>Writes the weights in tfjs's order as one shard and returns its manifest.</summary>
    public static (JsonArray Manifest, byte[] Shard) Write(IReadOnlyList<WeightSlot> slots, IReadOnlyDictionary<string, WeightArray> values, string shardName)
    {
        var specs = new JsonArray();
        using var data = new MemoryStream();
        Span<byte> four = stackalloc byte[4];
        foreach (var slot in KerasWeightLayout.TfjsOrder(slots))
        {
            var value = values[slot.Key];
            specs.Add(new JsonObject
            {
                ["name"] = slot.TfjsName,
                ["shape"] = new JsonArray(value.Shape.Select(d => (JsonNode)d).ToArray()),
                ["dtype"] = "float32",
            });
            foreach (var v in value.Data)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                data.Write(four);
            }
        }
        var manifest = new JsonArray(new JsonObject { ["paths"] = new JsonArray(shardName), ["weights"] = specs });
        return (manifest, data.ToArray());
    }
}
