using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TrainService.Engine.Datasets;

/// <summary>A loaded array: its description and its elements in C order, little-endian.</summary>
public sealed class NdArray(ArrayInfo info, byte[] data)
{
    public ArrayInfo Info { get; } = info;

    public string Name => Info.Name;

    public ArrayDType DType => Info.DType;

    public IReadOnlyList<long> Shape => Info.Shape;

    public byte[] Data { get; } = data;

    /// <summary>A CPU tensor of the same type and shape holding a copy of the elements.</summary>
    public Tensor ToTensor()
    {
        var tensor = empty(Shape.ToArray(), TorchType(DType));
        if (Data.Length > 0) tensor.bytes = Data;
        return tensor;
    }

    public static ScalarType TorchType(ArrayDType dtype) => dtype switch
    {
        ArrayDType.Bool => ScalarType.Bool,
        ArrayDType.Int8 => ScalarType.Int8,
        ArrayDType.Int16 => ScalarType.Int16,
        ArrayDType.Int32 => ScalarType.Int32,
        ArrayDType.Int64 => ScalarType.Int64,
        ArrayDType.UInt8 => ScalarType.Byte,
        ArrayDType.Float16 => ScalarType.Float16,
        ArrayDType.Float32 => ScalarType.Float32,
        ArrayDType.Float64 => ScalarType.Float64,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static NdArray Of(string name, float[] values, params long[] shape) =>
        new(new ArrayInfo(name, ArrayDType.Float32, shape), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static NdArray Of(string name, long[] values, params long[] shape) =>
        new(new ArrayInfo(name, ArrayDType.Int64, shape), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static NdArray Of(string name, double[] values, params long[] shape) =>
        new(new ArrayInfo(name, ArrayDType.Float64, shape), MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
