using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrainService.Engine.Graph;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Fit;
using TrainService.Jobs.Data;
using TrainService.Jobs.Live;
using TrainService.Jobs.Storage;

namespace TrainService.Jobs.Runs;

/// <summary>
/// Trains a claimed run with the training engine: reads its graph, settings and arrays, starts
/// from its last checkpoint when it has one (a run whose worker died resumes), and fits, recording
/// every epoch's logs, events and a checkpoint as it goes (<see cref="RunRecorder"/>).
/// </summary>
public sealed class RunTrainer(IServiceScopeFactory scopes, BlobStore blobs, IRunEventSignal signal, DatabaseRetry retry, TimeProvider clock)
{
    /// <param name="sequence">The run's last durable event (the claim's RunStatus), which batch progress refers to.</param>
    public void Train(Guid runId, long sequence, string node, CancellationToken cancellationToken)
    {
        RunRecord run = null!;
        CheckpointRecord? checkpoint = null;
        retry.Run("read the run", async () =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TrainDbContext>();
            run = await db.Runs.AsNoTracking().Include(r => r.Graph).Include(r => r.Dataset).SingleAsync(r => r.Id == runId);
            checkpoint = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderByDescending(c => c.Epoch).FirstOrDefaultAsync();
        });
        var dataset = run.Dataset ?? throw new ArgumentException("The run's dataset was deleted.");
        var config = RunConfig.Deserialize(run.Config);
        var fit = FitOptions.Parse(config.Fit.ToJsonString(), blobs.RunDirectory(runId));

        using var model = checkpoint is null
            ? KerasModel.Create(GraphBuilder.Build(run.Graph!.Spec), run.Device, fit.Seed)
            : KerasModel.LoadCheckpoint(blobs.PathOf(checkpoint.Sha256), run.Device);
        if (checkpoint is null && config.InitialWeights == "graph" && GraphWeights.Read(blobs, run.GraphId) is { } initial)
        {
            try
            {
                model.SetWeights(initial);
            }
            finally
            {
                foreach (var tensor in initial.Values) tensor.Dispose();
            }
        }
        if (checkpoint is null) model.Compile(CompileOptions.Parse(config.Compile.ToJsonString()));
        if (model.CompletedEpochs >= fit.Epochs) return;

        using var arrays = DatasetArrays.Load(blobs, dataset, config.ArrayNames);
        var data = arrays.FitData(config.Inputs, config.Targets);
        var recorder = new RunRecorder(runId, model, sequence, node, run.Device, scopes, blobs, signal, retry, clock);
        model.Fit(data, fit with { InitialEpoch = model.CompletedEpochs }, recorder, cancellationToken);
    }
}
