using TrainService.Engine.Graph;
using TrainService.Engine.Training.Losses;
using TrainService.Engine.Training.Metrics;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>Losses and metrics against Keras 3's formulas written out here for two-sample batches.</summary>
public class LossAndMetricTests
{
    static Loss ParseLoss(string json) => LossCatalog.Parse(System.Text.Json.Nodes.JsonNode.Parse(json), "", new DiagnosticBag())!;

    static Tensor T(float[] values, params long[] shape) => tensor(values, shape);

    static double Value(Loss loss, Tensor target, Tensor prediction, Tensor? weights = null)
    {
        using var scope = NewDisposeScope();
        return loss.Reduce(loss.Compute(target, prediction), weights).item<float>();
    }

    [Fact]
    public void CategoricalCrossentropyRenormalisesAndClips()
    {
        // Row 1 does not sum to 1 (Keras divides by the sum); row 2 has a 0 where the target is 1 (clipped to 1e-7).
        using var p = T([0.2f, 0.2f, 0.4f, 0f, 0.5f, 0.5f], 2, 3);
        using var y = T([0, 0, 1, 1, 0, 0], 2, 3);
        double expected = (-Math.Log(0.5) - Math.Log(1e-7)) / 2;
        Assert.Equal(expected, Value(ParseLoss("\"categorical_crossentropy\""), y, p), 4);
        Assert.Equal(expected, Value(ParseLoss("\"sparse_categorical_crossentropy\""), tensor(new long[] { 2, 0 }), p), 4);
    }

    [Fact]
    public void CrossentropiesFromLogits()
    {
        using var logits = T([1f, 2f, 3f, -1f, 0f, 4f], 2, 3);
        using var y = T([0, 1, 0, 0, 0, 1], 2, 3);
        double LogSoftmax(double[] row, int k) => row[k] - Math.Log(row.Sum(Math.Exp));
        double expected = -(LogSoftmax([1, 2, 3], 1) + LogSoftmax([-1, 0, 4], 2)) / 2;
        Assert.Equal(expected, Value(ParseLoss("""{"type": "categorical_crossentropy", "from_logits": true}"""), y, logits), 5);
        using var z = T([0.5f, -2f], 2, 1);
        using var bits = T([1f, 0f], 2, 1);
        double bce = (Math.Log(1 + Math.Exp(-0.5)) + Math.Log(1 + Math.Exp(-2))) / 2;
        Assert.Equal(bce, Value(ParseLoss("""{"class_name": "BinaryCrossentropy", "config": {"from_logits": true}}"""), bits, z), 5);
    }

    [Fact]
    public void BinaryCrossentropyClipsAndAveragesTheLastAxis()
    {
        using var p = T([1f, 0.25f, 0.6f, 0f], 2, 2);
        using var y = T([1f, 0f, 0f, 1f], 2, 2);
        double row1 = (-Math.Log(1 - 1e-7) - Math.Log(0.75)) / 2;
        double row2 = (-Math.Log(0.4) - Math.Log(1e-7)) / 2;
        Assert.Equal((row1 + row2) / 2, Value(ParseLoss("\"binary_crossentropy\""), y, p), 4);
    }

    [Fact]
    public void SampleWeightsScaleWithoutRenormalising()
    {
        // sum_over_batch_size: Σ w·loss / n, not Σ w·loss / Σ w.
        using var p = T([1f, 3f], 2, 1);
        using var y = T([0f, 0f], 2, 1);
        using var w = T([2f, 0f], 2);
        Assert.Equal((2 * 1 + 0 * 9) / 2.0, Value(ParseLoss("\"mse\""), y, p, w), 5);
        Assert.Equal((2 * 1 + 0 * 3) / 2.0, Value(ParseLoss("\"mae\""), y, p, w), 5);
    }

    [Fact]
    public void HuberSwitchesToLinearBeyondDelta()
    {
        using var p = T([0.5f, 3f], 2, 1);
        using var y = T([0f, 0f], 2, 1);
        Assert.Equal((0.5 * 0.25 + (3 - 0.5)) / 2, Value(ParseLoss("\"huber\""), y, p), 5);
        Assert.Equal((0.5 * 0.25 + 0.5 * 9) / 2, Value(ParseLoss("""{"type": "huber", "delta": 4}"""), y, p), 5);
    }

    static double Metric(string json, Tensor target, Tensor prediction, Tensor? weights = null, Loss? loss = null)
    {
        var spec = MetricCatalog.Parse(System.Text.Json.Nodes.JsonNode.Parse(json), "", new DiagnosticBag())!;
        using var metric = spec.Create(new HeadShapes((int)target.dim(), target.shape[^1], (int)prediction.dim(), prediction.shape[^1], loss));
        metric.Reset(CPU);
        // Two batches: the result is over both.
        long half = target.shape[0] / 2;
        metric.Update(target.narrow(0, 0, half), prediction.narrow(0, 0, half), weights?.narrow(0, 0, half));
        metric.Update(target.narrow(0, half, target.shape[0] - half), prediction.narrow(0, half, prediction.shape[0] - half), weights?.narrow(0, half, weights.shape[0] - half));
        return metric.Result();
    }

    [Fact]
    public void AccuracyResolvesFromShapesAndLoss()
    {
        using var probabilities = T([0.5f, 0.7f, 0.2f, 0.9f], 4, 1);
        using var bits = T([1f, 1f, 0f, 0f], 4, 1);
        // Strictly greater than 0.5: 0.5 counts as 0.
        Assert.Equal(0.5, Metric("\"acc\"", bits, probabilities));
        using var classes = T([0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f, 0.6f, 0.4f], 4, 2);
        using var oneHot = T([0, 1, 0, 1, 0, 1, 0, 1], 4, 2);
        Assert.Equal(0.5, Metric("\"accuracy\"", oneHot, classes));
        using var ids = tensor(new long[] { 1, 0, 1, 1 });
        Assert.Equal(0.75, Metric("\"acc\"", ids, classes));
        // Multi-label sigmoid head trained with binary crossentropy: per-label binary accuracy.
        using var labels = T([1, 1, 1, 0, 0, 1, 0, 0], 4, 2);
        Assert.Equal(6 / 8.0, Metric("\"acc\"", labels, classes, loss: new BinaryCrossentropy(false, 0)));
    }

    [Fact]
    public void TopKAndWeightedMeans()
    {
        using var p = T([0.1f, 0.5f, 0.4f, 0.6f, 0.3f, 0.1f], 2, 3);
        using var y = T([0, 0, 1, 0, 0, 1], 2, 3);
        Assert.Equal(0.5, Metric("""{"type": "top_k_categorical_accuracy", "k": 2}""", y, p));
        Assert.Equal(1.0, Metric("""{"type": "top_k_categorical_accuracy", "k": 3}""", y, p));
        using var errors = T([1f, 2f, 3f, 4f], 4, 1);
        using var zero = zeros(4, 1);
        using var w = T([1f, 0f, 0f, 3f], 4);
        Assert.Equal((1 * 1 + 3 * 4) / 4.0, Metric("\"mae\"", zero, errors, w), 6);
    }

    [Fact]
    public void AucMatchesTheTrapezoidOverKerasThresholds()
    {
        using var p = T([0.1f, 0.4f, 0.35f, 0.8f, 0.65f, 0.2f], 6, 1);
        using var y = T([0f, 0f, 1f, 1f, 1f, 0f], 6, 1);
        // Every score lies between thresholds, so the curve is the exact ROC: pairs ranked correctly.
        int correct = 0, pairs = 0;
        var scores = p.data<float>().ToArray();
        var truth = y.data<float>().ToArray();
        for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++)
                if (truth[i] == 1 && truth[j] == 0) { pairs++; if (scores[i] > scores[j]) correct++; }
        Assert.Equal((double)correct / pairs, Metric("\"auc\"", y, p), 6);
        Assert.Equal(1.0, Metric("\"AUC\"", y, y), 6);
    }
}
