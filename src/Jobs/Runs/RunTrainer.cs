namespace TrainService.Jobs.Runs;

/// <summary>Trains a claimed run with the training engine: loads its graph and data, fits, records each epoch.</summary>
public sealed class RunTrainer
{
    public void Train(Guid runId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("The training engine (src/Engine/Training) has not landed on this branch yet.");
}
