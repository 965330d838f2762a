using System.Diagnostics;
using TorchSharp;
using TrainService.Engine.Training;
using TrainService.Engine.Training.Callbacks;
using TrainService.Engine.Training.Compile;
using TrainService.Engine.Training.Data;
using TrainService.Engine.Training.Fit;
using static TorchSharp.torch;

namespace TrainService.Engine.Tests.Training;

/// <summary>Training holds its memory flat: one dispose scope per step, state created once.</summary>
[Collection(TrainingCollection.Name)]
public class MemoryTests
{
    sealed class Probe(Action<int> atEpoch) : ITrainingObserver
    {
        public void EpochEnded(EpochResult result) => atEpoch(result.Epoch);
    }

    static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    [Fact]
    public void ResidentMemoryStaysFlatOver200Epochs()
    {
        using var data = new SyntheticHeads(64, 8, seed: 1);
        using var model = KerasModel.Create(TrainingGraphs.ThreeHeads(), "cpu", seed: 1);
        model.Compile(CompileOptions.Parse("""{"optimizer": "adam", "loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "metrics": {"income": ["acc"], "gender": ["acc", "auc"]}}"""));
        var resident = new Dictionary<int, long>();
        var liveTensors = new Dictionary<int, long>();
        var probe = new Probe(epoch =>
        {
            if (epoch is not (20 or 199)) return;
            resident[epoch] = Resident();
            liveTensors[epoch] = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        });
        model.Fit(new FitData(data.X, NamedArrays.List(data.Age, data.Income, data.Gender)),
            new FitOptions { Epochs = 200, BatchSize = 16, ValidationSplit = 0.25, ProgressInterval = TimeSpan.Zero }, probe);

        // 180 epochs of 3 steps and a validation pass each: a leak of one small tensor per step would
        // show in the count; a leak of a batch's activations in the resident size.
        Assert.True(liveTensors[199] - liveTensors[20] < 20, $"live tensors {liveTensors[20]} -> {liveTensors[199]}");
        Assert.True(resident[199] - resident[20] < 16 << 20, $"resident {resident[20] >> 20} MiB -> {resident[199] >> 20} MiB");
    }

    [Fact]
    public void RunsLeaveNothingBehind()
    {
        using var data = new SyntheticHeads(64, 8, seed: 1);
        void Run()
        {
            using var model = KerasModel.Create(TrainingGraphs.Mlp(classes: 4), "cpu", seed: 1);
            model.Compile(CompileOptions.Parse("""{"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["acc"]}"""));
            model.Fit(new FitData(data.X, data.Income), new FitOptions { Epochs = 3, BatchSize = 16 });
        }
        for (int i = 0; i < 5; i++) Run();
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var resident = Resident();
        for (int i = 0; i < 30; i++) Run();
        Assert.True(DisposeScopeManager.Statistics.ThreadTotalLiveCount - live < 30, $"live tensors {live} -> {DisposeScopeManager.Statistics.ThreadTotalLiveCount}");
        Assert.True(Resident() - resident < 16 << 20, $"resident {resident >> 20} MiB -> {Resident() >> 20} MiB");
    }
}
