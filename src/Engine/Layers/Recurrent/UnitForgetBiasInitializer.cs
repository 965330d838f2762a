using TrainService.Engine.Layers.Config;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Recurrent;

/// <summary>
/// LSTM's unit_forget_bias: the forget gate's block starts at one, the i, c and o blocks come from
/// the bias initializer, drawn in that order (Keras 3 lstm.py build()).
/// </summary>
public sealed class UnitForgetBiasInitializer(Initializer blocks, int units) : Initializer
{
    public override string Name => blocks.Name;

    protected override Tensor Draw(long[] shape, WeightRandom random)
    {
        using var input = blocks.Create([units], random);
        using var forget = ones(units, dtype: ScalarType.Float32);
        using var cellAndOutput = blocks.Create([2L * units], random);
        return cat([input, forget, cellAndOutput]);
    }

    protected override Initializer WithSeedCore(int seed) => new UnitForgetBiasInitializer(blocks.WithSeed(seed), units);
}
