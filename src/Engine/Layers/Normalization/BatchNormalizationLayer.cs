using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Normalization;

/// <summary>
/// keras.layers.BatchNormalization with Keras 3's semantics: at training (when the layer is
/// trainable) it normalizes with the batch's mean and biased variance and moves the moving
/// statistics by moving·momentum + batch·(1 − momentum); otherwise it normalizes with the moving
/// statistics. gamma and beta train; moving_mean and moving_variance are non-trainable weights
/// (torch buffers). Torch's own batch norm differs in momentum convention, epsilon and the
/// unbiased variance it keeps, hence the computation here.
/// </summary>
[LayerType("BatchNormalization")]
public sealed class BatchNormalizationLayer : Layer
{
    public int Axis { get; private set; } = -1;
    public double Momentum { get; private set; } = 0.99;
    public double Epsilon { get; private set; } = 1e-3;
    public AffineWeights Affine { get; private set; } = AffineWeights.Default;
    public Initializer MovingMeanInitializer { get; private set; } = Initializer.Zeros;
    public Initializer MovingVarianceInitializer { get; private set; } = Initializer.Ones;

    protected override void Configure(LayerConfig config)
    {
        Axis = NormalizationAxes.Read(config, allowSeveral: false)[0];
        Momentum = config.Double("momentum", 0.99, min: 0, max: 1);
        Epsilon = config.Double("epsilon", 1e-3, min: 0, minExclusive: true);
        Affine = AffineWeights.Read(config);
        MovingMeanInitializer = config.Initializer("moving_mean_initializer", Initializer.Zeros);
        MovingVarianceInitializer = config.Initializer("moving_variance_initializer", Initializer.Ones);
        config.NoActivityRegularizer();
        config.Expect("renorm", false, "batch renormalization is not implemented.");
        config.Expect("renorm_clipping", null, "batch renormalization is not implemented.");
        config.Expect("virtual_batch_size", null, "ghost batch normalization is not implemented; statistics are those of the whole batch.");
        config.Expect("adjustment", null, "an adjustment function cannot be sent as JSON.");
        // Meaningful only with renorm; synchronizing across devices and TensorFlow's fused kernel
        // change how the statistics are computed, not what they are.
        config.Double("renorm_momentum", 0.99, min: 0, max: 1);
        config.Bool("synchronized", false);
        if (config.Raw("fused") is not null) config.Bool("fused", true);
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check) =>
        NormalizationAxes.Resolve([Axis], inputs[0].Shape, Type, check) is null ? null : [inputs[0]];

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs)
    {
        var shape = inputs[0].Shape;
        long[] size = [shape[shape.NormalizeAxis(Axis)]!.Value];
        var weights = Affine.Specs(size).ToList();
        weights.Add(new("moving_mean", size, false, MovingMeanInitializer));
        weights.Add(new("moving_variance", size, false, MovingVarianceInitializer));
        return weights;
    }

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new BatchNormalizationModule(this, inputs[0].Shape, DeclareWeights(inputs), context);

    sealed class BatchNormalizationModule : UnaryLayerModule
    {
        readonly Tensor? gamma;
        readonly Tensor? beta;
        readonly Tensor movingMean;
        readonly Tensor movingVariance;
        readonly double momentum;
        readonly double epsilon;
        readonly bool trainable;
        readonly long[] reduced;
        readonly long[] broadcast;

        public BatchNormalizationModule(BatchNormalizationLayer layer, Shape shape, IReadOnlyList<WeightSpec> specs, BuildContext context) : base(layer.Name, context)
        {
            int index = 0;
            if (layer.Affine.Scale) gamma = AddWeight("gamma", specs[index++], layer.Trainable);
            if (layer.Affine.Center) beta = AddWeight("beta", specs[index++], layer.Trainable);
            movingMean = AddWeight("moving_mean", specs[index++], layer.Trainable);
            movingVariance = AddWeight("moving_variance", specs[index], layer.Trainable);
            momentum = layer.Momentum;
            epsilon = layer.Epsilon;
            trainable = layer.Trainable;
            int axis = shape.NormalizeAxis(layer.Axis);
            reduced = Enumerable.Range(0, shape.Rank).Where(a => a != axis).Select(a => (long)a).ToArray();
            broadcast = NormalizationAxes.BroadcastShape(specs[index].Shape, [axis], shape.Rank);
        }

        public override Tensor Forward(Tensor input)
        {
            Tensor mean, variance;
            // Keras: batch statistics only when training and trainable; a frozen layer runs in inference mode.
            if (IsTraining && trainable)
            {
                (variance, mean) = input.var_mean(reduced, unbiased: false, keepdim: false);
                using (no_grad())
                {
                    movingMean.mul_(momentum).add_(mean.detach(), 1 - momentum);
                    movingVariance.mul_(momentum).add_(variance.detach(), 1 - momentum);
                }
            }
            else
            {
                mean = movingMean;
                variance = movingVariance;
            }
            var inverse = (variance + epsilon).rsqrt();
            if (gamma is not null) inverse = inverse * gamma;
            var output = (input - mean.reshape(broadcast)) * inverse.reshape(broadcast);
            return beta is null ? output : output + beta.reshape(broadcast);
        }
    }
}
