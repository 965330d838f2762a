using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Normalization;

/// <summary>
/// keras.layers.LayerNormalization: each sample normalized over the given axes with its own mean
/// and (biased) variance, then scaled by gamma and shifted by beta, both shaped like those axes.
/// </summary>
[LayerType("LayerNormalization")]
public sealed class LayerNormalizationLayer : Layer
{
    public IReadOnlyList<int> Axes { get; private set; } = [-1];
    public double Epsilon { get; private set; } = 1e-3;
    public AffineWeights Affine { get; private set; } = AffineWeights.Default;

    protected override void Configure(LayerConfig config)
    {
        Axes = NormalizationAxes.Read(config, allowSeveral: true);
        Epsilon = config.Double("epsilon", 1e-3, min: 0, minExclusive: true);
        Affine = AffineWeights.Read(config);
        config.Expect("rms_scaling", false,
            "Keras deprecated it because it scales by the variance, not the root mean square; use LayerNormalization without it.");
        config.NoActivityRegularizer();
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) =>
        NormalizationAxes.Resolve(Axes, inputs[0].Shape, Type, check) is null ? null : [inputs[0]];

    int[] ResolvedAxes(Shape shape) => [.. Axes.Select(shape.NormalizeAxis).Order()];

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        var shape = inputs[0].Shape;
        long[] size = ResolvedAxes(shape).Select(a => (long)shape[a]!.Value).ToArray();
        return Affine.Specs(size).ToList();
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new LayerNormalizationModule(this, inputs[0].Shape, DeclareWeights(inputs), context);

    sealed class LayerNormalizationModule : UnaryLayerModule
    {
        readonly Tensor? gamma;
        readonly Tensor? beta;
        readonly double epsilon;
        readonly long[] axes;
        readonly long[] broadcast;

        public LayerNormalizationModule(LayerNormalizationLayer layer, Shape shape, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer.Name, context)
        {
            var resolved = layer.ResolvedAxes(shape);
            broadcast = NormalizationAxes.BroadcastShape(resolved.Select(a => (long)shape[a]!.Value).ToArray(), resolved, shape.Rank);
            int index = 0;
            if (layer.Affine.Scale) gamma = AddWeight("gamma", specs[index++], layer.Trainable);
            if (layer.Affine.Center) beta = AddWeight("beta", specs[index], layer.Trainable);
            epsilon = layer.Epsilon;
            axes = resolved.Select(a => (long)a).ToArray();
        }

        public override Tensor Forward(Tensor input)
        {
            var (variance, mean) = input.var_mean(axes, unbiased: false, keepdim: true);
            var inverse = (variance + epsilon).rsqrt();
            if (gamma is not null) inverse = inverse * gamma.reshape(broadcast);
            var output = (input - mean) * inverse;
            return beta is null ? output : output + beta.reshape(broadcast);
        }
    }
}
