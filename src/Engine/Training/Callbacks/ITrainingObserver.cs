namespace TrainService.Engine.Training.Callbacks;

/// <summary>
/// What a training run reports as it goes: the stream the service publishes. Every method is
/// called on the training thread, between batches; an implementation that hands events to another
/// thread must copy what it keeps (the records here are immutable) and must not block for long.
/// </summary>
public interface ITrainingObserver
{
    void TrainingStarted(TrainingStarted started) { }

    /// <summary>Batch-level progress, at most once per <see cref="Fit.FitOptions.ProgressInterval"/> and at the end of every epoch.</summary>
    void BatchProgress(BatchProgress progress) { }

    void EpochEnded(EpochResult result) { }

    void TrainingEnded(TrainingEnded ended) { }
}

/// <param name="InitialEpoch">The first epoch this run trains (0-based, Keras's initial_epoch).</param>
/// <param name="Epochs">The epoch count training ends at (Keras's epochs).</param>
/// <param name="LogNames">Names every epoch's logs carry, in Keras's order, validation names included.</param>
public sealed record TrainingStarted(int InitialEpoch, int Epochs, int StepsPerEpoch, long Samples, long ValidationSamples,
    IReadOnlyList<string> LogNames, string Device, long Seed);

/// <param name="Epoch">0-based, as Keras's callbacks count.</param>
/// <param name="Batch">Batches done in this epoch (1 to <paramref name="Batches"/>).</param>
/// <param name="Loss">The epoch's loss so far: the mean over its batches weighted by batch size, as Keras's progress bar shows.</param>
public sealed record BatchProgress(int Epoch, int Batch, int Batches, double Loss, long Samples);

/// <param name="Logs">Keras's epoch logs: loss, &lt;output&gt;_loss, &lt;output&gt;_&lt;metric&gt;, val_... and learning_rate when ReduceLROnPlateau runs.</param>
/// <param name="Heads">The same values grouped by output, under the names the client wrote (loss, acc, ...).</param>
public sealed record EpochResult(int Epoch, int Epochs, IReadOnlyDictionary<string, double> Logs, IReadOnlyList<HeadLogs> Heads, TimeSpan Duration);

/// <summary>One output's values for an epoch: its unweighted loss and its metrics, for training and validation.</summary>
public sealed record HeadLogs(string Output, IReadOnlyDictionary<string, double> Training, IReadOnlyDictionary<string, double> Validation);

public enum StopReason
{
    /// <summary>Every epoch ran.</summary>
    Completed,

    /// <summary>A callback stopped training (EarlyStopping).</summary>
    StoppedEarly,

    /// <summary>TerminateOnNaN saw a loss that is not finite.</summary>
    NonFiniteLoss,

    /// <summary>The cancellation token fired; training stopped after the batch in progress.</summary>
    Cancelled,

    /// <summary>An exception ended training.</summary>
    Failed,
}

/// <param name="EpochsCompleted">Epochs done in all, counting from 0 (what a resumed run passes as initial_epoch).</param>
public sealed record TrainingEnded(StopReason Reason, int EpochsCompleted, string? Message = null);
