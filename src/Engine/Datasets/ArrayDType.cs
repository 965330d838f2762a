namespace TrainService.Engine.Datasets;

/// <summary>The NumPy element types a dataset array may hold.</summary>
public enum ArrayDType
{
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    Float16,
    Float32,
    Float64,
}

public static class ArrayDTypes
{
    /// <summary>NumPy's name of the type (what `arr.dtype.name` prints).</summary>
    public static string NumpyName(this ArrayDType dtype) => dtype switch
    {
        ArrayDType.Bool => "bool",
        ArrayDType.Int8 => "int8",
        ArrayDType.Int16 => "int16",
        ArrayDType.Int32 => "int32",
        ArrayDType.Int64 => "int64",
        ArrayDType.UInt8 => "uint8",
        ArrayDType.Float16 => "float16",
        ArrayDType.Float32 => "float32",
        ArrayDType.Float64 => "float64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static int ItemSize(this ArrayDType dtype) => dtype switch
    {
        ArrayDType.Bool or ArrayDType.Int8 or ArrayDType.UInt8 => 1,
        ArrayDType.Int16 or ArrayDType.Float16 => 2,
        ArrayDType.Int32 or ArrayDType.Float32 => 4,
        ArrayDType.Int64 or ArrayDType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool IsInteger(this ArrayDType dtype) =>
        dtype is ArrayDType.Int8 or ArrayDType.Int16 or ArrayDType.Int32 or ArrayDType.Int64 or ArrayDType.UInt8;

    public static bool IsFloat(this ArrayDType dtype) => dtype is ArrayDType.Float16 or ArrayDType.Float32 or ArrayDType.Float64;

    /// <summary>
    /// Reads a NumPy type descriptor ('&lt;f4', '|b1', '&gt;i8'): the element type and whether the
    /// data is big-endian. Null for a type we do not take (strings, objects, complex, unsigned
    /// wider than a byte, structured types).
    /// </summary>
    public static (ArrayDType DType, bool BigEndian)? ParseDescr(string descr)
    {
        if (descr.Length < 3 || descr[0] is not ('<' or '=' or '|' or '>')) return null;
        // '=' is the writer's native order; every host NumPy and we run on is little-endian.
        bool bigEndian = descr[0] == '>';
        ArrayDType? dtype = descr[1..] switch
        {
            "b1" => ArrayDType.Bool,
            "i1" => ArrayDType.Int8,
            "i2" => ArrayDType.Int16,
            "i4" => ArrayDType.Int32,
            "i8" => ArrayDType.Int64,
            "u1" => ArrayDType.UInt8,
            "f2" => ArrayDType.Float16,
            "f4" => ArrayDType.Float32,
            "f8" => ArrayDType.Float64,
            _ => null,
        };
        return dtype is null ? null : (dtype.Value, bigEndian && dtype.Value.ItemSize() > 1);
    }
}
