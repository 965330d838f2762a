using static TorchSharp.torch;

namespace TrainService.Engine.Training.Data;

public static class Categorical
{
    /// <summary>
    /// keras.utils.to_categorical: integer class ids to float32 one-hot rows. Labels of shape
    /// (n, 1) are read as (n,); the number of classes defaults to the largest label plus one.
    /// </summary>
    public static Tensor ToCategorical(Tensor labels, long? numClasses = null)
    {
        using var scope = NewDisposeScope();
        var ids = labels.dim() > 1 && labels.shape[^1] == 1 ? labels.squeeze(-1) : labels;
        ids = ids.to_type(ScalarType.Int64);
        if (ids.numel() > 0 && ids.min().item<long>() < 0)
            throw new ArgumentException("to_categorical takes class ids of at least 0.", nameof(labels));
        long classes = numClasses ?? (ids.numel() == 0 ? 0 : ids.max().item<long>() + 1);
        if (ids.numel() > 0 && ids.max().item<long>() >= classes)
            throw new ArgumentException($"A label is {ids.max().item<long>()}, outside {classes} classes.", nameof(labels));
        return nn.functional.one_hot(ids, classes).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }
}
