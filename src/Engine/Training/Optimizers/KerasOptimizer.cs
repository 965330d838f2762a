using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Optimizers;

/// <summary>A weight the optimizer trains: its Keras path ("dense_1/kernel") and the torch tensors that hold it.</summary>
public sealed record TrainableVariable(string Path, KerasWeight Weight)
{
    public IReadOnlyList<Tensor> Parts => Weight.Storage;
}

/// <summary>
/// An optimizer with Keras 3's update rules, written out rather than borrowed from torch.optim
/// where torch's rule differs (RMSprop's ε inside the square root, Adam's ε not bias-corrected:
/// keras-semantics.md §3.4). Update rules are elementwise, so they run on the torch tensors in
/// whatever layout they hold the Keras weight; only the per-variable gradient norm needs the
/// whole variable, which is why a variable's parts are kept together.
/// One step: clip gradients, apply weight decay, update, count the iteration, apply constraints.
/// </summary>
public abstract class KerasOptimizer : IDisposable
{
    readonly List<TrainableVariable> variables = [];
    // slots[variable][part][slot]
    readonly List<Tensor[][]> slots = [];

    protected KerasOptimizer(OptimizerSpec spec)
    {
        Spec = spec;
        LearningRate = spec.LearningRate;
    }

    public OptimizerSpec Spec { get; }

    /// <summary>The current learning rate (ReduceLROnPlateau lowers it).</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken so far (Keras's optimizer.iterations).</summary>
    public long Iterations { get; set; }

    public IReadOnlyList<TrainableVariable> Variables => variables;

    /// <summary>The names of the per-variable state this optimizer keeps, in Keras's words.</summary>
    public abstract IReadOnlyList<string> SlotNames { get; }

    protected virtual double InitialSlotValue(int slot) => 0;

    /// <summary>Creates the slots for the variables (Keras's optimizer.build).</summary>
    public void Build(IEnumerable<TrainableVariable> trainable)
    {
        if (variables.Count > 0) throw new InvalidOperationException("The optimizer is already built.");
        using var _ = no_grad();
        foreach (var variable in trainable)
        {
            variables.Add(variable);
            slots.Add(variable.Parts
                .Select(part => SlotNames.Select((_, s) => full_like(part, InitialSlotValue(s)).DetachFromDisposeScope()).ToArray())
                .ToArray());
        }
    }

    /// <summary>Applies the gradients that backward left on the variables, and clears them.</summary>
    public void Step()
    {
        using var _ = no_grad();
        var gradients = variables.Select(v => v.Parts.Select(p => p.grad).ToArray()).ToArray();
        Clip(gradients);
        var learningRate = Spec.Decay > 0 ? LearningRate / (1 + Spec.Decay * Iterations) : LearningRate;
        long step = Iterations + 1;
        for (int v = 0; v < variables.Count; v++)
        {
            var parts = variables[v].Parts;
            for (int p = 0; p < parts.Count; p++)
            {
                if (gradients[v][p] is not { } gradient) continue;
                if (Spec.WeightDecay > 0) parts[p].mul_(1 - Spec.WeightDecay * learningRate);
                Update(parts[p], gradient, slots[v][p], learningRate, step);
                parts[p].grad = null;
            }
        }
        Iterations = step;
        foreach (var variable in variables)
            if (variable.Weight.Constraint is { } constraint)
            {
                using var current = variable.Weight.Read();
                using var constrained = constraint.Apply(current);
                variable.Weight.Write(constrained);
            }
    }

    /// <summary>One variable's (or part's) update with its slots, Keras's update_step.</summary>
    protected abstract void Update(Tensor variable, Tensor gradient, Tensor[] slots, double learningRate, long step);

    // Keras 3's _clip_gradients: clipnorm per variable, else global_clipnorm, else clipvalue.
    void Clip(Tensor?[][] gradients)
    {
        if (Spec.ClipNorm is double clipNorm)
        {
            foreach (var parts in gradients)
            {
                var present = parts.OfType<Tensor>().ToArray();
                if (present.Length == 0) continue;
                var norm = Norm(present);
                var scale = clipNorm / norm.clamp_min(clipNorm);
                foreach (var g in present) g.mul_(scale);
            }
        }
        else if (Spec.GlobalClipNorm is double globalClipNorm)
        {
            var present = gradients.SelectMany(p => p).OfType<Tensor>().ToArray();
            if (present.Length == 0) return;
            var scale = globalClipNorm / Norm(present).clamp_min(globalClipNorm);
            foreach (var g in present) g.mul_(scale);
        }
        else if (Spec.ClipValue is double clipValue)
        {
            foreach (var g in gradients.SelectMany(p => p).OfType<Tensor>()) g.clamp_(-clipValue, clipValue);
        }
    }

    static Tensor Norm(Tensor[] parts) => stack(parts.Select(g => g.square().sum()).ToArray()).sum().sqrt();

    /// <summary>Every slot tensor, keyed "slot/layer/weight" (":k" added for a weight held in several tensors).</summary>
    public IEnumerable<(string Key, Tensor Value)> SlotTensors()
    {
        for (int v = 0; v < variables.Count; v++)
        {
            var parts = slots[v];
            for (int p = 0; p < parts.Length; p++)
                for (int s = 0; s < SlotNames.Count; s++)
                    yield return (SlotKey(SlotNames[s], variables[v].Path, p, parts.Length), parts[p][s]);
        }
    }

    public static string SlotKey(string slot, string path, int part, int parts) =>
        parts == 1 ? $"{slot}/{path}" : $"{slot}/{path}:{part}";

    public void Dispose()
    {
        foreach (var tensor in slots.SelectMany(v => v).SelectMany(p => p)) tensor.Dispose();
        slots.Clear();
        variables.Clear();
        GC.SuppressFinalize(this);
    }
}
