using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>
/// Optimizer steps through fit on a 3-parameter problem (Dense(1) without bias, mse, one batch of
/// two samples per epoch) against Keras 3's update formulas computed here in double precision.
/// </summary>
[Collection(TrainingCollection.Name)]
public class OptimizerFormulaTests
{
    static readonly double[][] X = [[1.0, -2.0, 0.5], [0.3, 0.8, -1.5]];
    static readonly double[] Y = [0.7, -1.2];
    static readonly double[] W0 = [0.2, -0.4, 0.9];
    const int Steps = 6;

    /// <summary>d/dw of mean((w·x − y)²) over the batch.</summary>
    static double[] Gradient(double[] w)
    {
        var g = new double[3];
        for (int i = 0; i < X.Length; i++)
        {
            double error = w.Zip(X[i], (a, b) => a * b).Sum() - Y[i];
            for (int j = 0; j < 3; j++) g[j] += 2 * error * X[i][j] / X.Length;
        }
        return g;
    }

    delegate void Update(double[] w, double[] g, Dictionary<string, double[]> slots, int step);

    static double[] Expected(Update update)
    {
        var w = (double[])W0.Clone();
        var slots = new Dictionary<string, double[]>();
        for (int step = 1; step <= Steps; step++) update(w, Gradient(w), slots, step);
        return w;
    }

    static double[] Slot(Dictionary<string, double[]> slots, string name, double initial = 0)
    {
        if (!slots.TryGetValue(name, out var slot)) slots[name] = slot = [initial, initial, initial];
        return slot;
    }

    static double[] Trained(string optimizer)
    {
        var graph = GraphBuilder.Build("""
        { "inputs": [{"name": "x", "shape": [3]}],
          "nodes": [{"name": "d", "type": "Dense", "config": {"units": 1, "use_bias": false}, "inputs": ["x"]}],
          "outputs": ["d"] }
        """);
        using var model = KerasModel.Create(graph, "cpu", seed: 0);
        model.Compile(CompileOptions.Parse($$"""{"optimizer": {{optimizer}}, "loss": "mse"}"""));
        using (var w0 = tensor(W0.Select(v => (float)v).ToArray(), [3, 1])) model.SetWeights(new Dictionary<string, Tensor> { ["d/kernel"] = w0 });
        using var x = tensor(X.SelectMany(r => r).Select(v => (float)v).ToArray(), [2, 3]);
        using var y = tensor(Y.Select(v => (float)v).ToArray(), [2, 1]);
        model.Fit(new FitData(x, y), new FitOptions { Epochs = Steps, BatchSize = 2, Shuffle = false });
        using var kernel = model.GetWeights()["d/kernel"];
        return kernel.reshape(3).to_type(ScalarType.Float64).data<double>().ToArray();
    }

    static void AssertClose(double[] expected, double[] actual)
    {
        for (int j = 0; j < 3; j++)
            Assert.True(Math.Abs(expected[j] - actual[j]) < 1e-6, $"w[{j}]: expected {expected[j]:R}, got {actual[j]:R}");
        // The problem must move the weights, or the comparison proves nothing.
        Assert.True(expected.Zip(W0, (a, b) => Math.Abs(a - b)).Max() > 1e-3);
    }

    [Fact]
    public void SgdDefaults()
    {
        AssertClose(Expected((w, g, _, _) =>
        {
            for (int j = 0; j < 3; j++) w[j] -= 0.01 * g[j];
        }), Trained("\"sgd\""));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SgdMomentum(bool nesterov)
    {
        AssertClose(Expected((w, g, s, _) =>
        {
            var m = Slot(s, "m");
            for (int j = 0; j < 3; j++)
            {
                m[j] = 0.9 * m[j] - 0.05 * g[j];
                w[j] += nesterov ? 0.9 * m[j] - 0.05 * g[j] : m[j];
            }
        }), Trained($$"""{"type": "sgd", "learning_rate": 0.05, "momentum": 0.9, "nesterov": {{(nesterov ? "true" : "false")}}}"""));
    }

    [Fact]
    public void RmsPropPutsEpsilonInsideTheSquareRoot()
    {
        // A large epsilon makes inside and outside differ far beyond the tolerance.
        AssertClose(Expected((w, g, s, _) =>
        {
            var v = Slot(s, "v");
            for (int j = 0; j < 3; j++)
            {
                v[j] = 0.9 * v[j] + 0.1 * g[j] * g[j];
                w[j] -= 0.01 * g[j] / Math.Sqrt(v[j] + 0.1);
            }
        }), Trained("""{"type": "rmsprop", "learning_rate": 0.01, "epsilon": 0.1}"""));
    }

    [Fact]
    public void RmsPropDefaults()
    {
        AssertClose(Expected((w, g, s, _) =>
        {
            var v = Slot(s, "v");
            for (int j = 0; j < 3; j++)
            {
                v[j] = 0.9 * v[j] + 0.1 * g[j] * g[j];
                w[j] -= 0.001 * g[j] / Math.Sqrt(v[j] + 1e-7);
            }
        }), Trained("\"rmsprop\""));
    }

    [Fact]
    public void RmsPropCenteredWithMomentum()
    {
        AssertClose(Expected((w, g, s, _) =>
        {
            var v = Slot(s, "v");
            var a = Slot(s, "a");
            var m = Slot(s, "m");
            for (int j = 0; j < 3; j++)
            {
                v[j] = 0.8 * v[j] + 0.2 * g[j] * g[j];
                a[j] = 0.8 * a[j] + 0.2 * g[j];
                var increment = 0.02 * g[j] / Math.Sqrt(v[j] - a[j] * a[j] + 1e-3);
                m[j] = 0.5 * m[j] + increment;
                w[j] -= m[j];
            }
        }), Trained("""{"type": "rmsprop", "learning_rate": 0.02, "rho": 0.8, "momentum": 0.5, "centered": true, "epsilon": 1e-3}"""));
    }

    static Update Adam(double learningRate, double epsilon, bool amsgrad, double weightDecay = 0) => (w, g, s, t) =>
    {
        var m = Slot(s, "m");
        var v = Slot(s, "v");
        var vHat = Slot(s, "vhat");
        var alpha = learningRate * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
        for (int j = 0; j < 3; j++)
        {
            w[j] -= w[j] * weightDecay * learningRate;
            m[j] += (g[j] - m[j]) * 0.1;
            v[j] += (g[j] * g[j] - v[j]) * 0.001;
            vHat[j] = Math.Max(vHat[j], v[j]);
            w[j] -= alpha * m[j] / (Math.Sqrt(amsgrad ? vHat[j] : v[j]) + epsilon);
        }
    };

    [Fact]
    public void AdamEpsilonIsNotBiasCorrected()
    {
        // With ε = 0.01, Keras's ε̂ and torch's bias-corrected ε give clearly different steps.
        AssertClose(Expected(Adam(0.05, 0.01, amsgrad: false)), Trained("""{"type": "adam", "learning_rate": 0.05, "epsilon": 0.01}"""));
    }

    [Fact]
    public void AdamDefaultsAndAmsgrad()
    {
        AssertClose(Expected(Adam(0.001, 1e-7, amsgrad: false)), Trained("\"adam\""));
        AssertClose(Expected(Adam(0.05, 1e-7, amsgrad: true)), Trained("""{"type": "adam", "learning_rate": 0.05, "amsgrad": true}"""));
    }

    [Fact]
    public void AdamWDecaysBeforeTheUpdate()
    {
        AssertClose(Expected(Adam(0.05, 1e-7, amsgrad: false, weightDecay: 0.004)), Trained("""{"type": "adamw", "learning_rate": 0.05}"""));
        AssertClose(Expected(Adam(0.05, 1e-7, amsgrad: false, weightDecay: 0.5)), Trained("""{"class_name": "AdamW", "config": {"learning_rate": 0.05, "weight_decay": 0.5}}"""));
    }

    [Fact]
    public void AdagradStartsFromItsInitialAccumulator()
    {
        AssertClose(Expected((w, g, s, _) =>
        {
            var a = Slot(s, "a", initial: 0.1);
            for (int j = 0; j < 3; j++)
            {
                a[j] += g[j] * g[j];
                w[j] -= 0.1 * g[j] / Math.Sqrt(a[j] + 1e-7);
            }
        }), Trained("""{"type": "adagrad", "learning_rate": 0.1}"""));
    }

    [Fact]
    public void ClipNormScalesTheGradientOfEachVariable()
    {
        AssertClose(Expected((w, g, _, _) =>
        {
            var norm = Math.Sqrt(g.Sum(x => x * x));
            for (int j = 0; j < 3; j++) w[j] -= 0.1 * g[j] * 0.5 / Math.Max(norm, 0.5);
        }), Trained("""{"type": "sgd", "learning_rate": 0.1, "clipnorm": 0.5}"""));
    }
}
