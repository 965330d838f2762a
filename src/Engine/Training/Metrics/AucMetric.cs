using static TorchSharp.torch;

namespace TrainService.Engine.Training.Metrics;

/// <summary>
/// keras.metrics.AUC with its defaults: the ROC curve from confusion counts at 200 thresholds
/// accumulated over the epoch, integrated by the trapezoidal rule ("interpolation"). Every
/// element of the output counts as one prediction; a target is positive when it is not 0.
/// </summary>
public sealed class AucMetric : Metric
{
    readonly double[] thresholdValues;
    readonly bool fromLogits;
    Tensor? thresholds;
    Tensor? truePositives;
    Tensor? falsePositives;
    Tensor? positives;
    Tensor? negatives;

    public AucMetric(string name, int numThresholds = 200, bool fromLogits = false) : base(name)
    {
        this.fromLogits = fromLogits;
        // Keras: (i + 1) / (n − 1) for the inner thresholds, and −ε and 1 + ε at the ends so that
        // predictions of exactly 0 and 1 fall inside the curve.
        const double epsilon = 1e-7;
        thresholdValues = new double[numThresholds];
        thresholdValues[0] = -epsilon;
        for (int i = 0; i < numThresholds - 2; i++) thresholdValues[i + 1] = (i + 1) * 1.0 / (numThresholds - 1);
        thresholdValues[^1] = 1 + epsilon;
    }

    public override bool HigherIsBetter => true;

    public override void Reset(Device device)
    {
        if (thresholds is null || !OnDevice(thresholds, device))
        {
            Dispose(true);
            thresholds = State(tensor(thresholdValues, ScalarType.Float32, device).unsqueeze(1));
            truePositives = State(zeros(thresholdValues.Length, ScalarType.Float64, device));
            falsePositives = State(zeros(thresholdValues.Length, ScalarType.Float64, device));
            positives = State(zeros(1, ScalarType.Float64, device));
            negatives = State(zeros(1, ScalarType.Float64, device));
        }
        else
        {
            truePositives!.fill_(0);
            falsePositives!.fill_(0);
            positives!.fill_(0);
            negatives!.fill_(0);
        }
    }

    public override void Update(Tensor target, Tensor prediction, Tensor? sampleWeight)
    {
        var p = (fromLogits ? prediction.sigmoid() : prediction).reshape(-1);
        var isPositive = target.reshape(-1).ne(0).to_type(ScalarType.Float64);
        var weight = sampleWeight is null
            ? ones_like(isPositive)
            : sampleWeight.to_type(ScalarType.Float64).reshape(-1, 1).expand(sampleWeight.shape[0], p.shape[0] / sampleWeight.shape[0]).reshape(-1);
        var positive = isPositive * weight;
        var negative = weight - positive;
        // (thresholds × predictions): which predictions count as positive at each threshold.
        var above = p.unsqueeze(0).gt(thresholds!).to_type(ScalarType.Float64);
        truePositives!.add_(above.matmul(positive));
        falsePositives!.add_(above.matmul(negative));
        positives!.add_(positive.sum());
        negatives!.add_(negative.sum());
    }

    public override double Result()
    {
        using var scope = NewDisposeScope();
        var tp = truePositives!.cpu().data<double>().ToArray();
        var fp = falsePositives!.cpu().data<double>().ToArray();
        double pos = positives!.item<double>(), neg = negatives!.item<double>();
        double Ratio(double a, double b) => b == 0 ? 0 : a / b;
        double auc = 0;
        for (int i = 0; i < tp.Length - 1; i++)
        {
            // Keras: recall = tp / (tp + fn), fpr = fp / (fp + tn); with fn = pos − tp, tn = neg − fp.
            double x0 = Ratio(fp[i], neg), x1 = Ratio(fp[i + 1], neg);
            double y0 = Ratio(tp[i], pos), y1 = Ratio(tp[i + 1], pos);
            auc += (x0 - x1) * (y0 + y1) / 2;
        }
        return auc;
    }

    protected override void Dispose(bool disposing)
    {
        thresholds?.Dispose();
        truePositives?.Dispose();
        falsePositives?.Dispose();
        positives?.Dispose();
        negatives?.Dispose();
    }
}
