namespace TrainService.Engine.Training.Callbacks;

/// <summary>keras.callbacks.TerminateOnNaN: stops training after the first batch whose running loss is NaN or infinite.</summary>
public sealed class TerminateOnNaN : Callback
{
    public override string Type => "TerminateOnNaN";

    public override bool NeedsBatchLoss => true;

    public override void OnBatchEnd(int epoch, int batch, double loss)
    {
        if (!double.IsFinite(loss))
            Context.Stop(StopReason.NonFiniteLoss, $"TerminateOnNaN: the loss became {loss} at batch {batch + 1} of epoch {epoch + 1}.");
    }
}
