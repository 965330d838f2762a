using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Checkpoints;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON
/// header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}} padded
/// with spaces to a multiple of 8 bytes, then the raw little-endian data. numpy, PyTorch and most
/// tools read it, which is why checkpoints use it.
/// </summary>
public static class SafeTensors
{
    const int BufferSize = 1 << 20;

    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.Select(kv => (kv.Key, Tensor: HostCopy(kv.Value))).ToList();
        try
        {
            var header = new JsonObject();
            if (metadata is { Count: > 0 })
                header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            long offset = 0;
            foreach (var (name, tensor) in list)
            {
                long size = tensor.numel() * tensor.ElementSize;
                header[name] = new JsonObject
                {
                    ["dtype"] = DTypeName(tensor.dtype),
                    ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode)d).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + size),
                };
                offset += size;
            }
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            int padded = (json.Length + 7) / 8 * 8;
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in list)
                if (tensor.numel() > 0) tensor.WriteBytesToStream(stream, BufferSize);
        }
        finally
        {
            foreach (var (_, tensor) in list) tensor.Dispose();
        }
    }

    static Tensor HostCopy(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        return tensor.detach().cpu().contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Reads every tensor (onto the CPU) in the order of the file's data.</summary>
    public static Dictionary<string, Tensor> Read(Stream stream, out Dictionary<string, string> metadata)
    {
        Span<byte> length = stackalloc byte[8];
        stream.ReadExactly(length);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(length);
        if (headerLength > 100_000_000) throw new InvalidDataException("The safetensors header is implausibly large.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        var header = JsonNode.Parse(headerBytes)!.AsObject();
        metadata = header["__metadata__"] is JsonObject meta
            ? meta.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>())
            : [];
        var entries = header.Where(kv => kv.Key != "__metadata__")
            .Select(kv => (Name: kv.Key, Info: kv.Value!.AsObject()))
            .OrderBy(e => e.Info["data_offsets"]![0]!.GetValue<long>())
            .ToList();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long position = 0;
        foreach (var (name, info) in entries)
        {
            var begin = info["data_offsets"]![0]!.GetValue<long>();
            var end = info["data_offsets"]![1]!.GetValue<long>();
            if (begin != position) throw new InvalidDataException($"Tensor '{name}' does not start where the previous one ended.");
            var shape = info["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var tensor = empty(shape, ScalarTypeOf(info["dtype"]!.GetValue<string>()));
            if (tensor.numel() * tensor.ElementSize != end - begin) throw new InvalidDataException($"Tensor '{name}' has {end - begin} bytes for shape ({string.Join(", ", shape)}).");
            if (tensor.numel() > 0) tensor.ReadBytesFromStream(stream, BufferSize);
            result[name] = tensor;
            position = end;
        }
        return result;
    }

    static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"No safetensors dtype for {type}."),
    };

    static ScalarType ScalarTypeOf(string name) => name switch
    {
        "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"Unsupported safetensors dtype '{name}'."),
    };
}
