using Hangfire;
using Microsoft.EntityFrameworkCore;
using TrainService.Jobs.Data;

namespace TrainService.Jobs.Runs;

/// <summary>Puts runs on the Hangfire queue of their device kind. The job carries only the run's id.</summary>
public sealed class RunQueue(IBackgroundJobClient jobs)
{
    public async Task EnqueueAsync(TrainDbContext db, Guid runId, string device, CancellationToken cancellationToken)
    {
        var jobId = jobs.Enqueue<TrainRunJob>(device, job => job.RunAsync(runId));
        await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.JobId, jobId), cancellationToken);
    }
}
