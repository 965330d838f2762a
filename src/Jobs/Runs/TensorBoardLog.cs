using TrainService.Engine.Training.Callbacks;
using TrainService.Jobs.Storage;
using static TorchSharp.torch.utils.tensorboard;

namespace TrainService.Jobs.Runs;

/// <summary>
/// A run's TensorBoard event files, laid out as Keras's TensorBoard callback lays them out: train/
/// and validation/ beside each other, scalars tagged epoch_&lt;name&gt; (epoch_loss, epoch_age_loss,
/// epoch_income_acc), the validation ones without their val_ prefix, stepped by the 0-based epoch.
/// So `tensorboard --logdir` shows our runs beside the user's own Keras runs. TorchSharp's writer
/// appends each event to its file as it is added: nothing to flush or close.
/// </summary>
public sealed class TensorBoardLog(string directory)
{
    public static string DirectoryOf(BlobStore blobs, Guid runId) => Path.Combine(blobs.RunDirectory(runId), "tensorboard");

    TorchSharp.Modules.SummaryWriter? train, validation;

    public void Write(EpochResult result)
    {
        foreach (var (name, value) in result.Logs)
        {
            bool isValidation = name.StartsWith("val_", StringComparison.Ordinal);
            var writer = isValidation
                ? validation ??= SummaryWriter(Path.Combine(directory, "validation"), createRunName: false)
                : train ??= SummaryWriter(Path.Combine(directory, "train"), createRunName: false);
            writer.add_scalar("epoch_" + (isValidation ? name[4..] : name), (float)value, result.Epoch);
        }
    }
}
