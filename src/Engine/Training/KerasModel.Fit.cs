using System.Diagnostics;
using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using TrainService.Engine.Training.Losses;
using static TorchSharp.torch;

namespace TrainService.Engine.Training;

public sealed partial class KerasModel
{
    // Callback states read from a checkpoint, given to the callbacks of the fit that resumes it.
    List<(string Type, JsonObject State)>? pendingCallbackStates;
    Dictionary<string, Tensor>? pendingCallbackTensors;
    int pendingStatesEpoch;
    IReadOnlyList<Callback> activeCallbacks = [];

    /// <summary>
    /// Keras's fit. Checks data, settings and callbacks against the model first and throws
    /// <see cref="GraphValidationException"/> with every problem before anything trains. Stops
    /// within one batch of <paramref name="cancellationToken"/> firing, with
    /// <see cref="OperationCanceledException"/> (the weights are those after the last whole batch).
    /// </summary>
    /// <returns>This fit's History (Keras's return value); <see cref="RunHistory"/> holds every epoch of the run.</returns>
    public History Fit(FitData data, FitOptions options, ITrainingObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var plan = Plan ?? throw new InvalidOperationException("Compile the model before fit.");
        var diagnostics = new DiagnosticBag();
        using var prepared = FitPreparation.Prepare(Graph, plan, data, options, diagnostics);
        if (prepared is null) throw new GraphValidationException(diagnostics.Errors.ToList());
        return Train(plan, prepared.Training, prepared.Validation, options, prepared.LogNames, observer, cancellationToken);
    }

    History Train(TrainingPlan plan, PreparedData training, PreparedData? validation, FitOptions options,
        IReadOnlyList<string> logNames, ITrainingObserver? observer, CancellationToken cancellationToken)
    {
        var seed = options.Seed ?? Seed;
        var context = new TrainingContext(this);
        var callbacks = options.Callbacks;
        foreach (var callback in callbacks) callback.Attach(context);
        int steps = (int)((training.Count + options.BatchSize - 1) / options.BatchSize);
        int validationBatch = options.ValidationBatchSize ?? options.BatchSize;
        var history = new History();
        bool needsBatchLoss = callbacks.Any(c => c.NeedsBatchLoss);
        using var epochMetrics = new EpochMetrics(plan, training);
        using var validationMetrics = validation is null ? null : new EpochMetrics(plan, validation);

        RunHistory = RunHistory.Before(options.InitialEpoch);
        CompletedEpochs = options.InitialEpoch;
        activeCallbacks = callbacks;
        observer?.TrainingStarted(new TrainingStarted(options.InitialEpoch, options.Epochs, steps, training.Count,
            validation?.Count ?? 0, logNames, Device.ToString(), seed));
        try
        {
            foreach (var callback in callbacks) callback.OnTrainBegin();
            RestoreCallbackStates(callbacks, options.InitialEpoch);
            var progressClock = Stopwatch.StartNew();
            for (int epoch = options.InitialEpoch; epoch < options.Epochs && !context.StopTraining; epoch++)
            {
                var epochClock = Stopwatch.StartNew();
                foreach (var callback in callbacks) callback.OnEpochBegin(epoch);
                SeedEpoch(seed, epoch);
                Module.train();
                epochMetrics.Reset(Device);
                using var order = Order(training.Count, options.Shuffle, seed, epoch);
                long samples = 0;
                for (int step = 0; step < steps; step++)
                {
                    if (cancellationToken.IsCancellationRequested) Cancel(observer, cancellationToken);
                    long start = (long)step * options.BatchSize;
                    long length = Math.Min(options.BatchSize, training.Count - start);
                    using (var scope = NewDisposeScope())
                        TrainStep(plan, training.Take(order, start, length, Device), epochMetrics);
                    samples += length;
                    bool last = step == steps - 1;
                    if (needsBatchLoss || (observer is not null && (last || progressClock.Elapsed >= options.ProgressInterval)))
                    {
                        var running = epochMetrics.RunningLoss();
                        foreach (var callback in callbacks) callback.OnBatchEnd(epoch, step, running);
                        if (observer is not null && (last || progressClock.Elapsed >= options.ProgressInterval || context.StopTraining))
                        {
                            observer.BatchProgress(new BatchProgress(epoch, step + 1, steps, running, samples));
                            progressClock.Restart();
                        }
                    }
                    if (context.StopTraining) break;
                }

                var (logs, byHead) = epochMetrics.Results();
                Dictionary<string, double>[]? validationByHead = null;
                if (validation is not null)
                {
                    var (validationLogs, validationHeads) = Score(plan, validation, validationMetrics!, validationBatch, "val_", cancellationToken, observer);
                    logs.AddRange(validationLogs);
                    validationByHead = validationHeads;
                }
                var epochLogs = new OrderedDictionary<string, double>(StringComparer.Ordinal);
                foreach (var (name, value) in logs) epochLogs[name] = value;
                foreach (var callback in callbacks) callback.OnEpochEnd(epoch, epochLogs);

                history.Record(epoch, epochLogs);
                RunHistory.Record(epoch, epochLogs);
                CompletedEpochs = epoch + 1;
                foreach (var callback in callbacks) callback.OnEpochCommitted(epoch);
                observer?.EpochEnded(new EpochResult(epoch, options.Epochs, epochLogs,
                    plan.Heads.Select(h => new HeadLogs(h.Name, byHead[h.Index], validationByHead?[h.Index] ?? [])).ToList(),
                    epochClock.Elapsed));
            }
            foreach (var callback in callbacks) callback.OnTrainEnd();
            observer?.TrainingEnded(new TrainingEnded(context.StopReason, CompletedEpochs, context.StopMessage));
            return history;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            observer?.TrainingEnded(new TrainingEnded(StopReason.Failed, CompletedEpochs, e.Message));
            throw;
        }
        finally
        {
            activeCallbacks = [];
        }
    }

    void Cancel(ITrainingObserver? observer, CancellationToken cancellationToken)
    {
        observer?.TrainingEnded(new TrainingEnded(StopReason.Cancelled, CompletedEpochs, "Training was cancelled."));
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>One optimizer step on one batch: forward, Keras's total loss, backward, update, metrics.</summary>
    void TrainStep(TrainingPlan plan, Batch batch, EpochMetrics metrics)
    {
        var predictions = Module.Forward(batch.Inputs);
        var headLosses = new Tensor?[plan.Heads.Count];
        var total = TotalLoss(plan, predictions, batch, headLosses);
        total.backward();
        using var _ = no_grad();
        Optimizer!.Step();
        metrics.Update(total, headLosses, predictions, batch);
    }

    /// <summary>Σ loss_weight · head loss, plus the weights' regularization penalties (Keras's compute_loss).</summary>
    Tensor TotalLoss(TrainingPlan plan, IReadOnlyList<Tensor> predictions, Batch batch, Tensor?[] headLosses)
    {
        Tensor? total = null;
        foreach (var head in plan.Heads)
        {
            if (head.Loss is not { } loss) continue;
            int i = head.Index;
            var target = loss.Target == TargetForm.Labels ? batch.Labels[i] : batch.Dense[i];
            var value = loss.Reduce(loss.Compute(target!, predictions[i]), batch.SampleWeights[i]);
            headLosses[i] = value;
            var weighted = head.LossWeight == 1 ? value : value * head.LossWeight;
            total = total is null ? weighted : total + weighted;
        }
        foreach (var (_, weight) in weights)
        {
            if (weight.Regularizer is not { } regularizer || !weight.Trainable) continue;
            foreach (var storage in weight.Storage) total = total! + regularizer.Penalty(storage);
        }
        return total!;
    }

    /// <summary>The epoch's sample order: a permutation from the epoch's seed, or null for the stored order.</summary>
    static Tensor? Order(long count, bool shuffle, long seed, int epoch)
    {
        if (!shuffle) return null;
        using var generator = new Generator(unchecked((ulong)Seeds.ForEpoch(seed, epoch, Seeds.Shuffle)));
        return randperm(count, generator: generator);
    }

    /// <summary>Dropout draws from torch's global generators; seeding them per epoch makes epoch k the same in a resumed run.</summary>
    void SeedEpoch(long seed, int epoch)
    {
        var dropoutSeed = Seeds.ForEpoch(seed, epoch, Seeds.Dropout);
        // torch.random.manual_seed probes for CUDA on every call, which on a CPU-only host means
        // searching for its libraries each time; a fresh generator's state seeds the default one
        // exactly as manual_seed would, without the probe.
        using (var seeded = new Generator(unchecked((ulong)dropoutSeed)))
        using (var state = seeded.get_state())
        using (var global = Generator.Default)
            global.set_state(state);
        if (Device.type == TorchSharp.DeviceType.CUDA) cuda.manual_seed_all(dropoutSeed);
    }

    void RestoreCallbackStates(IReadOnlyList<Callback> callbacks, int initialEpoch)
    {
        if (pendingCallbackStates is null) return;
        // States belong to the run the checkpoint came from, resumed at the epoch it reached.
        if (initialEpoch == pendingStatesEpoch && pendingCallbackStates.Count == callbacks.Count &&
            pendingCallbackStates.Select(s => s.Type).SequenceEqual(callbacks.Select(c => c.Type)))
            for (int i = 0; i < callbacks.Count; i++)
                callbacks[i].LoadState(pendingCallbackStates[i].State, Prefixed(pendingCallbackTensors!, $"callbacks/{i}/"));
        pendingCallbackStates = null;
        foreach (var tensor in pendingCallbackTensors?.Values.ToList() ?? []) tensor.Dispose();
        pendingCallbackTensors = null;
    }

    static Dictionary<string, Tensor> Prefixed(Dictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}
