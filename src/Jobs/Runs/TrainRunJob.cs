namespace TrainService.Jobs.Runs;

public sealed class TrainRunJob
{
    public Task RunAsync(Guid runId, CancellationToken cancellationToken) => Task.CompletedTask;
}
