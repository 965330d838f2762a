using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Metrics;
using static TorchSharp.torch;

namespace TrainService.Engine.Training.Data;

/// <summary>One output's targets in the forms its loss and metrics read, its sample weights, and its metrics.</summary>
internal sealed class HeadData(OutputHead head, HeadShapes shapes)
{
    public OutputHead Head { get; } = head;

    public HeadShapes Shapes { get; } = shapes;

    /// <summary>Targets with the prediction's shape (float32).</summary>
    public Tensor? Dense { get; set; }

    /// <summary>Class ids: the prediction's shape without its class axis (int64).</summary>
    public Tensor? Labels { get; set; }

    /// <summary>(n,) float32, or null when every sample weighs 1.</summary>
    public Tensor? SampleWeight { get; set; }
}

/// <summary>One batch on the training device.</summary>
internal sealed record Batch(Tensor[] Inputs, Tensor?[] Dense, Tensor?[] Labels, Tensor?[] SampleWeights, long Size);

/// <summary>
/// Arrays checked against the model and its compile settings and converted to what training
/// reads: inputs in graph order and dtype, each head's targets in the forms it needs. Stays on
/// the host; batches go to the device one at a time.
/// </summary>
internal sealed class PreparedData : IDisposable
{
    readonly List<Tensor> owned;

    public PreparedData(long count, Tensor[] inputs, HeadData?[] heads, List<Tensor> owned)
    {
        Count = count;
        Inputs = inputs;
        Heads = heads;
        this.owned = owned;
    }

    public long Count { get; }

    public Tensor[] Inputs { get; }

    /// <summary>Per output, in output order; null for an output that has no targets.</summary>
    public HeadData?[] Heads { get; }

    /// <summary>
    /// Rows [start, start + length) of the arrays, in the order <paramref name="order"/> gives
    /// (null: as stored, which takes views rather than copies), moved to the device.
    /// </summary>
    public Batch Take(Tensor? order, long start, long length, Device device)
    {
        var picked = order?.narrow(0, start, length);
        Tensor Rows(Tensor array)
        {
            var rows = picked is null ? array.narrow(0, start, length) : array.index_select(0, picked);
            return rows.device_type == device.type ? rows : rows.to(device);
        }
        Tensor? Maybe(Tensor? array) => array is null ? null : Rows(array);
        return new Batch(
            Inputs.Select(Rows).ToArray(),
            Heads.Select(h => Maybe(h?.Dense)).ToArray(),
            Heads.Select(h => Maybe(h?.Labels)).ToArray(),
            Heads.Select(h => Maybe(h?.SampleWeight)).ToArray(),
            length);
    }

    /// <summary>The first <paramref name="count"/> rows and the rest (views over the same storage).</summary>
    public (PreparedData Training, PreparedData Validation) Split(long count) => (Slice(0, count), Slice(count, Count - count));

    PreparedData Slice(long start, long length)
    {
        var views = new List<Tensor>();
        Tensor View(Tensor t)
        {
            var view = t.narrow(0, start, length);
            views.Add(view);
            return view;
        }
        var heads = Heads.Select(h => h is null ? null : new HeadData(h.Head, h.Shapes)
        {
            Dense = h.Dense is null ? null : View(h.Dense),
            Labels = h.Labels is null ? null : View(h.Labels),
            SampleWeight = h.SampleWeight is null ? null : View(h.SampleWeight),
        }).ToArray();
        return new PreparedData(length, Inputs.Select(View).ToArray(), heads, views);
    }

    /// <summary>Keras's class_weight: each sample weighs its class's weight (1 for classes not listed).</summary>
    public void ApplyClassWeights(IReadOnlyDictionary<string, IReadOnlyDictionary<long, double>> weightsByOutput)
    {
        foreach (var head in Heads)
        {
            if (head is null || !weightsByOutput.TryGetValue(head.Head.Name, out var classWeights)) continue;
            using var scope = NewDisposeScope();
            var classes = head.Labels ?? (head.Dense!.shape[^1] == 1 ? head.Dense.squeeze(-1).round() : head.Dense.argmax(-1));
            var ids = classes.to_type(ScalarType.Int64).reshape(Count, -1).select(1, 0);
            var weights = ones(Count, ScalarType.Float32);
            foreach (var (id, weight) in classWeights)
                weights.masked_fill_(ids.eq(id), weight);
            head.SampleWeight = weights.MoveToOuterDisposeScope();
            owned.Add(head.SampleWeight);
        }
    }

    public void Dispose()
    {
        foreach (var tensor in owned) tensor.Dispose();
        owned.Clear();
    }
}
