namespace TrainService.Engine.Layers;

/// <summary>Registers a <see cref="Layer"/> subclass under its Keras class name (and aliases).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class LayerTypeAttribute(string name, params string[] aliases) : Attribute
{
    public string Name { get; } = name;

    public IReadOnlyList<string> Aliases { get; } = aliases;
}
