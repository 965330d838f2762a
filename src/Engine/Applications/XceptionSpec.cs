using System.Text.Json.Nodes;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Applications;

/// <summary>What keras.applications.Xception takes, weights aside (only random initialization is possible here).</summary>
public sealed record XceptionOptions
{
    public bool IncludeTop { get; init; } = true;

    /// <summary>(rows, cols, channels); free sizes are null. Keras's default: (299, 299, 3) with the top, (None, None, 3) without.</summary>
    public IReadOnlyList<int?>? InputShape { get; init; }

    /// <summary>null, "avg" or "max": the global pooling after the features when there is no top.</summary>
    public string? Pooling { get; init; }

    public int Classes { get; init; } = 1000;

    public string ClassifierActivation { get; init; } = "softmax";

    public IReadOnlyList<int?> ResolvedInputShape => InputShape ?? (IncludeTop ? [299, 299, 3] : [null, null, 3]);
}

/// <summary>
/// keras.applications.Xception (keras/src/applications/xception.py) as a graph in this format: the
/// same layers, in the same order, with the names Keras gives them (its unnamed layers get the
/// names a fresh Keras 3 session gives: conv2d, conv2d_1, ..., batch_normalization, add, ...).
/// </summary>
public static class XceptionSpec
{
    /// <summary>Keras's smallest accepted input (obtain_input_shape's min_size).</summary>
    public const int MinSize = 71;

    public static GraphSpec Build(string name, XceptionOptions options)
    {
        var g = new Builder();
        var x = "input_layer";

        x = g.Conv("block1_conv1", x, 32, 3, strides: 2, padding: "valid");
        x = g.BatchNorm("block1_conv1_bn", x);
        x = g.Relu("block1_conv1_act", x);
        x = g.Conv("block1_conv2", x, 64, 3, strides: 1, padding: "valid");
        x = g.BatchNorm("block1_conv2_bn", x);
        x = g.Relu("block1_conv2_act", x);

        // Entry flow: blocks 2-4 halve the size with a strided 1x1 residual beside them; block 2 has no leading ReLU.
        x = EntryBlock(g, x, 2, 128, leadingRelu: false);
        x = EntryBlock(g, x, 3, 256, leadingRelu: true);
        x = EntryBlock(g, x, 4, 728, leadingRelu: true);

        // Middle flow: eight blocks of three ReLU-SeparableConv-BN with an identity residual.
        for (int block = 5; block <= 12; block++)
        {
            var residual = x;
            for (int i = 1; i <= 3; i++)
            {
                x = g.Relu($"block{block}_sepconv{i}_act", x);
                x = g.SeparableConv($"block{block}_sepconv{i}", x, 728);
                x = g.BatchNorm($"block{block}_sepconv{i}_bn", x);
            }
            x = g.Add(x, residual);
        }

        // Exit flow.
        var exitResidual = g.BatchNorm(null, g.Conv(null, x, 1024, 1, strides: 2, padding: "same"));
        x = g.Relu("block13_sepconv1_act", x);
        x = g.SeparableConv("block13_sepconv1", x, 728);
        x = g.BatchNorm("block13_sepconv1_bn", x);
        x = g.Relu("block13_sepconv2_act", x);
        x = g.SeparableConv("block13_sepconv2", x, 1024);
        x = g.BatchNorm("block13_sepconv2_bn", x);
        x = g.MaxPool("block13_pool", x);
        x = g.Add(x, exitResidual);

        x = g.SeparableConv("block14_sepconv1", x, 1536);
        x = g.BatchNorm("block14_sepconv1_bn", x);
        x = g.Relu("block14_sepconv1_act", x);
        x = g.SeparableConv("block14_sepconv2", x, 2048);
        x = g.BatchNorm("block14_sepconv2_bn", x);
        x = g.Relu("block14_sepconv2_act", x);

        if (options.IncludeTop)
        {
            x = g.Layer("avg_pool", "GlobalAveragePooling2D", x, []);
            x = g.Layer("predictions", "Dense", x, new() { ["units"] = options.Classes, ["activation"] = options.ClassifierActivation });
        }
        else if (options.Pooling == "avg")
            x = g.Layer(null, "GlobalAveragePooling2D", x, []);
        else if (options.Pooling == "max")
            x = g.Layer(null, "GlobalMaxPooling2D", x, []);

        return new GraphSpec(name, [new InputSpec("input_layer", options.ResolvedInputShape)], g.Nodes, [x]);
    }

    static string EntryBlock(Builder g, string x, int block, int filters, bool leadingRelu)
    {
        var residual = g.BatchNorm(null, g.Conv(null, x, filters, 1, strides: 2, padding: "same"));
        if (leadingRelu) x = g.Relu($"block{block}_sepconv1_act", x);
        x = g.SeparableConv($"block{block}_sepconv1", x, filters);
        x = g.BatchNorm($"block{block}_sepconv1_bn", x);
        x = g.Relu($"block{block}_sepconv2_act", x);
        x = g.SeparableConv($"block{block}_sepconv2", x, filters);
        x = g.BatchNorm($"block{block}_sepconv2_bn", x);
        x = g.MaxPool($"block{block}_pool", x);
        return g.Add(x, residual);
    }

    /// <summary>Adds nodes in call order and names unnamed layers as Keras's auto_name does.</summary>
    sealed class Builder
    {
        readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);

        public List<NodeSpec> Nodes { get; } = [];

        public string Layer(string? name, string type, string input, JsonObject config) => Layer(name, type, [input], config);

        string Layer(string? name, string type, IReadOnlyList<string> inputs, JsonObject config)
        {
            name ??= AutoName(type);
            Nodes.Add(new NodeSpec(name, type, config, inputs));
            return name;
        }

        string AutoName(string type)
        {
            var prefix = type switch
            {
                "Conv2D" => "conv2d",
                "BatchNormalization" => "batch_normalization",
                "Add" => "add",
                "GlobalAveragePooling2D" => "global_average_pooling2d",
                "GlobalMaxPooling2D" => "global_max_pooling2d",
                _ => throw new ArgumentException($"No Keras auto name for {type}.", nameof(type)),
            };
            var n = counts.GetValueOrDefault(prefix);
            counts[prefix] = n + 1;
            return n == 0 ? prefix : $"{prefix}_{n}";
        }

        public string Conv(string? name, string input, int filters, int kernel, int strides, string padding) =>
            Layer(name, "Conv2D", input, new()
            {
                ["filters"] = filters,
                ["kernel_size"] = new JsonArray(kernel, kernel),
                ["strides"] = new JsonArray(strides, strides),
                ["padding"] = padding,
                ["use_bias"] = false,
            });

        public string SeparableConv(string name, string input, int filters) =>
            Layer(name, "SeparableConv2D", input, new()
            {
                ["filters"] = filters,
                ["kernel_size"] = new JsonArray(3, 3),
                ["padding"] = "same",
                ["use_bias"] = false,
            });

        public string BatchNorm(string? name, string input) => Layer(name, "BatchNormalization", input, new() { ["axis"] = -1 });

        public string Relu(string name, string input) => Layer(name, "Activation", input, new() { ["activation"] = "relu" });

        public string MaxPool(string name, string input) =>
            Layer(name, "MaxPooling2D", input, new()
            {
                ["pool_size"] = new JsonArray(3, 3),
                ["strides"] = new JsonArray(2, 2),
                ["padding"] = "same",
            });

        public string Add(string a, string b) => Layer(null, "Add", [a, b], []);
    }
}
