using TrainService.Engine.Layers.Config;

namespace TrainService.Engine.Layers.Normalization;

/// <summary>
/// gamma and beta, the scale and offset BatchNormalization and LayerNormalization apply after
/// normalizing: their config keys (scale, center and each one's initializer, regularizer and
/// constraint) and their weights, gamma first, as Keras builds them.
/// </summary>
public sealed record AffineWeights(
    bool Scale,
    bool Center,
    Initializer GammaInitializer,
    Initializer BetaInitializer,
    Regularizer? GammaRegularizer,
    Regularizer? BetaRegularizer,
    Constraint? GammaConstraint,
    Constraint? BetaConstraint)
{
    public static AffineWeights Default { get; } = new(true, true, Initializer.Ones, Initializer.Zeros, null, null, null, null);

    public static AffineWeights Read(LayerConfig config) => new(
        config.Bool("scale", true),
        config.Bool("center", true),
        config.Initializer("gamma_initializer", Initializer.Ones),
        config.Initializer("beta_initializer", Initializer.Zeros),
        config.Regularizer("gamma_regularizer"),
        config.Regularizer("beta_regularizer"),
        config.Constraint("gamma_constraint"),
        config.Constraint("beta_constraint"));

    public IEnumerable<WeightSpec> Specs(long[] shape)
    {
        if (Scale) yield return new("gamma", shape, true, GammaInitializer, GammaRegularizer, GammaConstraint);
        if (Center) yield return new("beta", shape, true, BetaInitializer, BetaRegularizer, BetaConstraint);
    }
}
