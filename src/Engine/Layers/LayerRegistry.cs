using System.Reflection;

namespace TrainService.Engine.Layers;

/// <summary>Every layer type the engine knows, found by <see cref="LayerTypeAttribute"/>.</summary>
public static class LayerRegistry
{
    static readonly Dictionary<string, Type> Types = Discover();

    static Dictionary<string, Type> Discover()
    {
        var types = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in typeof(Layer).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<LayerTypeAttribute>() is not { } attribute) continue;
            if (!typeof(Layer).IsAssignableFrom(type) || type.IsAbstract)
                throw new InvalidOperationException($"{type} has [LayerType] but is not a concrete Layer.");
            foreach (var name in attribute.Aliases.Prepend(attribute.Name))
                if (!types.TryAdd(name, type))
                    throw new InvalidOperationException($"Layer type '{name}' is registered twice ({types[name]} and {type}).");
        }
        return types;
    }

    /// <summary>Names a node's type may take, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Types.Keys.Order(StringComparer.Ordinal).ToArray();

    public static bool IsKnown(string type) => Types.ContainsKey(type);

    public static Layer? Create(string type) =>
        Types.TryGetValue(type, out var t) ? (Layer)Activator.CreateInstance(t)! : null;

    /// <summary>Known names close to an unknown one, for "did you mean".</summary>
    public static IEnumerable<string> Suggest(string type) =>
        Names.Where(n => string.Equals(n, type, StringComparison.OrdinalIgnoreCase) || IsClose(n.ToLowerInvariant(), type.ToLowerInvariant())).Take(3);

    /// <summary>Whether two names are at most two edits apart, for "did you mean".</summary>
    internal static bool IsClose(string a, string b) =>
        // Lengths more than two apart cannot be: checked first, so that a hostile 100,000-character name costs nothing.
        Math.Abs(a.Length - b.Length) <= 2 && Distance(a, b) <= 2;

    static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
