namespace TrainService.Engine.Tests.Training;

/// <summary>
/// Fit seeds torch's global generator at every epoch (dropout draws from it), so fits must not
/// interleave with other tests that draw random numbers: these classes run alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "Training (global random state)";
}
