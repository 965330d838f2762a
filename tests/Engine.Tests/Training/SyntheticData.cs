using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>
/// The multi-output task of the seed's posts model, made learnable: age a linear function of the
/// features, income one of four classes and gender one bit, each read from its own features so
/// that heads compete for a narrow trunk.
/// </summary>
sealed class SyntheticHeads : IDisposable
{
    public SyntheticHeads(int samples, int features, ulong seed)
    {
        using var generator = new Generator(seed);
        X = randn(samples, features, generator: generator);
        using var ageWeights = randn(features, 1, generator: generator);
        Age = X.matmul(ageWeights) * 5;
        // income: which of four random directions of the first half of the features is largest.
        using var incomeDirections = randn(features / 2, 4, generator: generator);
        IncomeClass = X.narrow(1, 0, features / 2).matmul(incomeDirections).argmax(1);
        Income = nn.functional.one_hot(IncomeClass, 4).to_type(ScalarType.Float32);
        // gender: the sign of a direction in the other half.
        using var genderDirection = randn(features - features / 2, 1, generator: generator);
        Gender = X.narrow(1, features / 2, features - features / 2).matmul(genderDirection).gt(0).to_type(ScalarType.Float32);
    }

    public Tensor X { get; }
    public Tensor Age { get; }
    public Tensor IncomeClass { get; }
    public Tensor Income { get; }
    public Tensor Gender { get; }

    public void Dispose()
    {
        X.Dispose();
        Age.Dispose();
        IncomeClass.Dispose();
        Income.Dispose();
        Gender.Dispose();
    }
}
