using TrainService.Engine.Graph;
using TrainService.Engine.Modules;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Fit;
using TrainService.Engine.Training.Optimizers;
using static TorchSharp.torch;

namespace TrainService.Engine.Training;

/// <summary>
/// A Keras model over a <see cref="ModelGraph"/>: compile, fit, evaluate, predict, and checkpoints
/// that resume exactly. See docs/training.md for how the service drives it.
/// </summary>
public sealed partial class KerasModel : IDisposable
{
    readonly List<(string Key, KerasWeight Weight)> weights;

    KerasModel(ModelGraph graph, GraphModule module, Device device, long seed)
    {
        Graph = graph;
        Module = module;
        Device = device;
        Seed = seed;
        weights = [];
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (layer, layerModule) in module.LeafLayers())
            foreach (var weight in layerModule.Weights)
            {
                var key = $"{layer}/{weight.Name}";
                if (!keys.Add(key)) throw new InvalidOperationException($"Two weights are named '{key}'.");
                weights.Add((key, weight));
            }
    }

    /// <summary>Builds the model's modules on the device with Keras's initializers, seeded.</summary>
    /// <param name="device">cpu, cuda, cuda:N or auto.</param>
    /// <param name="seed">Seeds the initial weights, and shuffling and dropout unless fit gives its own; random when null.</param>
    public static KerasModel Create(ModelGraph graph, string device = "auto", long? seed = null)
    {
        var resolved = Devices.Resolve(device);
        var actualSeed = seed ?? Random.Shared.NextInt64(0, int.MaxValue);
        var module = GraphModule.Create(graph, resolved, unchecked((ulong)actualSeed));
        return new KerasModel(graph, module, resolved, actualSeed);
    }

    public ModelGraph Graph { get; }

    public GraphModule Module { get; }

    public Device Device { get; }

    public long Seed { get; }

    /// <summary>The compile settings resolved against the graph; null before <see cref="Compile"/>.</summary>
    public TrainingPlan? Plan { get; private set; }

    public KerasOptimizer? Optimizer { get; private set; }

    /// <summary>Keras's model.metrics_names once compiled.</summary>
    public IReadOnlyList<string> MetricsNames => Plan?.MetricsNames ?? [];

    /// <summary>Epochs trained so far, counted from 0 across fits and resumes: a resumed run's initial_epoch.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>Every epoch's logs so far, across fits and resumes (what checkpoints carry).</summary>
    public History RunHistory { get; private set; } = new();

    /// <summary>Every weight keyed "layer/weight" (nested models: "outer/inner/weight"), in Keras's order.</summary>
    public IReadOnlyList<(string Key, KerasWeight Weight)> NamedWeights => weights;

    public void Compile(CompileOptions options)
    {
        var diagnostics = new DiagnosticBag();
        if (!TryCompile(options, diagnostics)) throw new GraphValidationException(diagnostics.Errors.ToList());
    }

    /// <summary>Compiles, or reports why not. Compiling again starts a fresh optimizer, as in Keras.</summary>
    public bool TryCompile(CompileOptions options, DiagnosticBag diagnostics)
    {
        var plan = TrainingPlan.Resolve(Graph, options, diagnostics);
        if (plan is null) return false;
        Optimizer?.Dispose();
        Plan = plan;
        Optimizer = plan.Optimizer.Create();
        Optimizer.Build(weights.Where(w => w.Weight.Trainable).Select(w => new TrainableVariable(w.Key, w.Weight)));
        return true;
    }

    /// <summary>Copies of the weights in Keras's layout on the CPU (Keras's get_weights, keyed).</summary>
    public Dictionary<string, Tensor> GetWeights()
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, weight) in weights)
        {
            using var value = weight.Read();
            result[key] = value.cpu().DetachFromDisposeScope();
        }
        return result;
    }

    /// <summary>Sets weights from Keras-layout values; every weight of the model must be given.</summary>
    public void SetWeights(IReadOnlyDictionary<string, Tensor> values)
    {
        var missing = weights.Where(w => !values.ContainsKey(w.Key)).Select(w => w.Key).ToList();
        if (missing.Count > 0) throw new ArgumentException($"No value for {string.Join(", ", missing)}.", nameof(values));
        foreach (var (key, weight) in weights) weight.Write(values[key]);
    }

    public void Dispose()
    {
        Optimizer?.Dispose();
        Module.Dispose();
        foreach (var tensor in pendingCallbackTensors?.Values.ToList() ?? []) tensor.Dispose();
    }
}
