using TrainService.Engine.Layers.Config;
using static TorchSharp.torch;

namespace TrainService.Engine.Modules;

/// <summary>What building torch modules needs: the device the weights live on and the stream that initialises them.</summary>
public sealed class BuildContext(Device device, WeightRandom random)
{
    public Device Device { get; } = device;

    /// <summary>Initial values are drawn on the CPU: the same seed gives the same weights on every device.</summary>
    public WeightRandom Random { get; } = random;

    public static BuildContext Cpu(ulong seed) => new(CPU, new WeightRandom(seed));
}
