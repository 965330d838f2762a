using TorchSharp;
using TrainService.Engine.Layers;
using static TorchSharp.torch;

namespace TrainService.Engine.Modules;

/// <summary>
/// The torch module of one layer. Tensors in and out are in Keras's layout (channels last); each
/// module is built on its device with its Keras-initialised weights, and is never moved afterwards
/// (a model for another device is built anew and given the weights).
/// </summary>
public abstract class LayerModule : nn.Module<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>>
{
    readonly List<KerasWeight> weights = [];

    protected LayerModule(string name, BuildContext context) : base(name)
    {
        Context = context;
    }

    protected BuildContext Context { get; }

    public Device Device => Context.Device;

    /// <summary>The layer's own weights in Keras's order.</summary>
    public virtual IReadOnlyList<KerasWeight> Weights => weights;

    /// <summary>True while training (Dropout drops, BatchNormalization uses batch statistics).</summary>
    public bool IsTraining => training;

    /// <summary>
    /// Creates a torch parameter (or buffer, for non-trainable Keras weights such as moving
    /// statistics) initialised in Keras's layout and converted with <paramref name="toTorch"/>.
    /// </summary>
    protected Tensor AddWeight(string torchName, WeightSpec spec, bool layerTrainable,
        Func<Tensor, Tensor>? toTorch = null, Func<Tensor, Tensor>? toKeras = null)
    {
        toTorch ??= t => t;
        toKeras ??= t => t;
        Tensor storage;
        using (no_grad())
        {
            using var initial = spec.Initializer.Create(spec.Shape, Context.Random);
            using var converted = toTorch(initial);
            var data = converted.to(Context.Device).contiguous().clone();
            if (spec.Trainable)
            {
                var parameter = nn.Parameter(data, requires_grad: layerTrainable);
                register_parameter(torchName, parameter);
                storage = parameter;
            }
            else
            {
                register_buffer(torchName, data);
                storage = data;
            }
        }
        var holder = storage;
        weights.Add(new KerasWeight(spec, [holder], () => toKeras(holder), value => holder.copy_(toTorch(value.to(holder.device)))) { Trainable = spec.Trainable && layerTrainable });
        return storage;
    }

    /// <summary>Registers a weight whose torch storage the layer set up itself (split or reordered weights).</summary>
    protected void AddWeight(KerasWeight weight) => weights.Add(weight);

    public sealed override IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> inputs) => Forward(inputs);

    /// <summary>Computes the layer's outputs for one call.</summary>
    public abstract IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs);
}

/// <summary>A layer module with one input and one output.</summary>
public abstract class UnaryLayerModule(string name, BuildContext context) : LayerModule(name, context)
{
    public sealed override IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> inputs) => [Forward(inputs[0])];

    public abstract Tensor Forward(Tensor input);
}

/// <summary>A module for layers without weights whose computation is one function.</summary>
public sealed class FunctionModule(string name, BuildContext context, Func<Tensor, Tensor> function) : UnaryLayerModule(name, context)
{
    public override Tensor Forward(Tensor input) => function(input);
}
