using System.Diagnostics;
using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Bench;

/// <summary>Times one epoch of <c>steps</c> batches with the engine's fit, from its first batch to its end.</summary>
sealed class EngineRunner : IDisposable
{
    readonly KerasModel model;
    readonly FitData data;
    readonly int batch;

    public EngineRunner(BenchModel bench, Tensor[] inputs, Tensor[] targets, int batch)
    {
        model = KerasModel.Create(GraphBuilder.Build(bench.Graph), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse(bench.Compile));
        data = new FitData(NamedArrays.List(inputs), NamedArrays.List(targets));
        this.batch = batch;
    }

    sealed class Timing : ITrainingObserver
    {
        readonly Stopwatch stopwatch = new();

        public TimeSpan Elapsed => stopwatch.Elapsed;

        public void TrainingStarted(TrainingStarted started) => stopwatch.Restart();

        public void TrainingEnded(TrainingEnded ended) => stopwatch.Stop();
    }

    /// <summary>Milliseconds per step over one epoch; the epoch ends with the loss read back, as Keras's does.</summary>
    public double MillisecondsPerStep(int seed)
    {
        var timing = new Timing();
        var history = model.Fit(data, new FitOptions { Epochs = 1, BatchSize = batch, Seed = seed, ProgressInterval = TimeSpan.MaxValue }, timing);
        if (!double.IsFinite(history.Values["loss"][0])) throw new InvalidOperationException("The engine's loss is not finite.");
        return timing.Elapsed.TotalMilliseconds / Steps(data, batch);
    }

    static long Steps(FitData data, int batch) => (data.X.Arrays[0].shape[0] + batch - 1) / batch;

    public void Dispose() => model.Dispose();
}

/// <summary>
/// The same epoch written by hand: shuffled batches gathered from the host arrays, one dispose
/// scope per step, torch's RMSprop with Keras's settings, the loss summed on the device and read once.
/// </summary>
sealed class HandwrittenRunner : IDisposable
{
    readonly Handwritten module;
    readonly TorchSharp.Modules.RMSProp optimizer;
    readonly Tensor[] inputs;
    readonly Tensor[] targets;
    readonly int batch;

    public HandwrittenRunner(BenchModel bench, Tensor[] inputs, Tensor[] targets, int batch)
    {
        manual_seed(1);
        module = bench.CreateHandwritten();
        optimizer = optim.RMSProp(module.Trainable, lr: 0.001, alpha: 0.9, eps: 1e-7);
        // Integer ids go in as int64, as torch's embedding takes them.
        this.inputs = inputs.Select(i => i.is_floating_point() ? i : i.to_type(ScalarType.Int64)).ToArray();
        this.targets = targets;
        this.batch = batch;
    }

    public double MillisecondsPerStep(int seed)
    {
        long count = inputs[0].shape[0];
        long steps = (count + batch - 1) / batch;
        module.train();
        var stopwatch = Stopwatch.StartNew();
        using var generator = new Generator((ulong)seed);
        using var order = randperm(count, generator: generator);
        using var lossSum = zeros(1, ScalarType.Float64);
        for (long step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            long start = step * batch, length = Math.Min(batch, count - start);
            var rows = order.narrow(0, start, length);
            var x = inputs.Select(i => i.index_select(0, rows)).ToArray();
            var y = targets.Select(t => t.index_select(0, rows)).ToArray();
            optimizer.zero_grad();
            var loss = module.forward(x, y);
            loss.backward();
            optimizer.step();
            using (no_grad()) lossSum.add_(loss.detach().to_type(ScalarType.Float64), length);
        }
        var mean = lossSum.item<double>() / count;
        var elapsed = stopwatch.Elapsed;
        if (!double.IsFinite(mean)) throw new InvalidOperationException("The handwritten loss is not finite.");
        return elapsed.TotalMilliseconds / steps;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        module.Dispose();
    }
}
