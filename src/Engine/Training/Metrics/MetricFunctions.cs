using static TorchSharp.torch;

namespace TrainService.Engine.Training.Metrics;

/// <summary>Keras 3's per-sample metric functions (keras/src/metrics/accuracy_metrics.py, regression_metrics.py).</summary>
public static class MetricFunctions
{
    /// <summary>mean(y_true == (y_pred > threshold)) over the last axis; strictly greater, as Keras.</summary>
    public static Tensor BinaryAccuracy(Tensor target, Tensor prediction, double threshold = 0.5) =>
        prediction.gt(threshold).to_type(target.dtype).eq(target).to_type(ScalarType.Float32).mean([-1]);

    /// <summary>argmax(y_true) == argmax(y_pred), one value per sample.</summary>
    public static Tensor CategoricalAccuracy(Tensor target, Tensor prediction) =>
        target.argmax(-1).eq(prediction.argmax(-1)).to_type(ScalarType.Float32);

    /// <summary>y_true == argmax(y_pred) for integer class ids.</summary>
    public static Tensor SparseCategoricalAccuracy(Tensor labels, Tensor prediction) =>
        labels.eq(prediction.argmax(-1)).to_type(ScalarType.Float32);

    /// <summary>Whether the true class (argmax of a one-hot row) is among the k highest predictions.</summary>
    public static Tensor TopKCategoricalAccuracy(Tensor target, Tensor prediction, int k) =>
        SparseTopKCategoricalAccuracy(target.argmax(-1), prediction, k);

    public static Tensor SparseTopKCategoricalAccuracy(Tensor labels, Tensor prediction, int k)
    {
        var classes = prediction.shape[^1];
        if (k >= classes) return ones(labels.shape, ScalarType.Float32, labels.device);
        var (_, top) = prediction.topk(k, -1);
        return top.eq(labels.unsqueeze(-1)).any(-1).to_type(ScalarType.Float32);
    }

    public static Tensor MeanAbsoluteError(Tensor target, Tensor prediction) => (prediction - target).abs().mean([-1]);

    public static Tensor MeanSquaredError(Tensor target, Tensor prediction) => (prediction - target).square().mean([-1]);
}
