using static TorchSharp.torch;

namespace TrainService.Engine.Modules;

/// <summary>What building torch modules needs: the device the weights live on and the generator that initialises them.</summary>
public sealed class BuildContext(Device device, Generator generator)
{
    public Device Device { get; } = device;

    /// <summary>CPU generator for initial values: the same seed gives the same weights on every device.</summary>
    public Generator Generator { get; } = generator;

    public static BuildContext Cpu(ulong seed) => new(CPU, new Generator(seed));
}
