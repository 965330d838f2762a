using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers.Wrappers;

/// <summary>
/// A layer that holds other layers (Bidirectional, TimeDistributed). Keras counts the inner
/// layers' weights as the wrapper's, and a wrapper that is not trainable freezes all of them.
/// </summary>
public abstract class WrapperLayer : Layer
{
    /// <summary>An inner layer's weights as the wrapper declares them: optionally prefixed, trainable only where the inner layer is.</summary>
    protected static IEnumerable<WeightSpec> InnerWeights(Layer inner, IReadOnlyList<Graph.TensorInfo> innerInputs, string? prefix = null) =>
        inner.DeclareWeights(innerInputs).Select(w => w with
        {
            Name = prefix is null ? w.Name : $"{prefix}/{w.Name}",
            Trainable = w.Trainable && inner.Trainable,
        });

    /// <summary>A module that runs inner layers' modules and exposes their weights as its own.</summary>
    protected abstract class WrapperModule(string name, BuildContext context) : LayerModule(name, context)
    {
        // Inner modules are registered by Adopt under stable names; TorchSharp's field reflection would add them again.
        protected override void RegisterComponents() { }

        protected LayerModule Adopt(string torchName, LayerModule inner, IEnumerable<WeightSpec> specs, bool trainable)
        {
            register_module(torchName, inner);
            if (!trainable)
                foreach (var parameter in inner.parameters()) parameter.requires_grad = false;
            var innerWeights = inner.Weights;
            var index = 0;
            foreach (var spec in specs)
            {
                var weight = innerWeights[index++];
                AddWeight(weight.As(spec, weight.Trainable && trainable));
            }
            if (index != innerWeights.Count)
                throw new InvalidOperationException($"Layer '{inner}' declares {index} weights but its module has {innerWeights.Count}.");
            return inner;
        }
    }
}
