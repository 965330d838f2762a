namespace TrainService.Engine.Graph;

/// <summary>Element types a graph input may declare.</summary>
public enum DType
{
    Float32,
    Int32,
    Int64,
}

public static class DTypes
{
    public static string KerasName(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool TryParse(string? name, out DType dtype)
    {
        switch (name)
        {
            case "float32": dtype = DType.Float32; return true;
            case "int32": dtype = DType.Int32; return true;
            case "int64": dtype = DType.Int64; return true;
            default: dtype = DType.Float32; return false;
        }
    }

    public static bool IsInteger(this DType dtype) => dtype is DType.Int32 or DType.Int64;
}
