using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Layers.Models;

namespace TrainService.Engine.Applications;

/// <summary>
/// keras.applications.Xception as a node: {"type": "Xception", "config": {"include_top": false,
/// "weights": null, "input_shape": [250, 250, 3], "pooling": "avg"}}, a nested model whose graph
/// <see cref="XceptionSpec"/> writes. Randomly initialised only: pretrained weights would be a
/// download.
/// </summary>
[LayerType("Xception")]
public sealed class XceptionLayer : NestedModelLayer
{
    public XceptionOptions Options { get; private set; } = new();

    protected override GraphSpec? DefineGraph(LayerConfig config)
    {
        int errorsBefore = config.Diagnostics.ErrorCount;
        if (!config.Has("weights"))
            config.Error("weights", "'weights' is required and must be null: Keras's default, \"imagenet\", downloads pretrained weights, which the service cannot do.");
        config.Expect("weights", null, "pretrained weights would have to be downloaded, which the service cannot do; use null (random initialization) and train.");
        config.Expect("input_tensor", null, "the input is the tensor the node is called on (its inputs).");
        var includeTop = config.Bool("include_top", true);
        var pooling = config.Raw("pooling") is null ? null : config.String("pooling", "", "avg", "max");
        var classes = config.Int("classes", 1000, min: 1);
        var activation = ReadActivation(config);
        var inputShape = ReadInputShape(config, includeTop);
        if (config.Diagnostics.ErrorCount > errorsBefore) return null;
        Options = new XceptionOptions
        {
            IncludeTop = includeTop,
            InputShape = inputShape,
            Pooling = pooling,
            Classes = classes,
            ClassifierActivation = activation,
        };
        return XceptionSpec.Build(Name, Options);
    }

    static string ReadActivation(LayerConfig config)
    {
        // Keras's None means no activation (logits).
        if (config.Has("classifier_activation") && config.Raw("classifier_activation") is null) return "linear";
        var name = config.String("classifier_activation", "softmax");
        if (!Activation.TryGet(name, out _))
            config.Error("classifier_activation", $"Unknown activation '{name}'. Known: {string.Join(", ", Activation.Names)}.");
        return name;
    }

    /// <summary>Keras's obtain_input_shape: three sizes, at least 71x71 where known, static with the top.</summary>
    static IReadOnlyList<int?>? ReadInputShape(LayerConfig config, bool includeTop)
    {
        var raw = config.Raw("input_shape");
        if (raw is null) return null;
        if (raw is not JsonArray array || array.Count != 3 || !array.All(d => d is null || (d is JsonValue v && v.TryGetValue<int>(out var n) && n > 0)))
        {
            config.Error("input_shape", $"'input_shape' must be three sizes (rows, cols, channels), each a positive integer or null, not {raw.ToJsonString()}.");
            return null;
        }
        var shape = array.Select(d => d is null ? (int?)null : d.GetValue<int>()).ToArray();
        if (shape[2] is null)
            config.Error("input_shape", $"'input_shape' {raw.ToJsonString()} needs the channels defined: the first convolution's kernel has that size.");
        else if (shape[..2].Any(d => d < XceptionSpec.MinSize))
            config.Error("input_shape", $"'input_shape' {raw.ToJsonString()} is too small: Xception takes at least {XceptionSpec.MinSize}x{XceptionSpec.MinSize}.");
        else if (includeTop && shape.Any(d => d is null))
            config.Error("input_shape", $"'input_shape' {raw.ToJsonString()} must be fully defined with include_top true (Keras requires a static shape for the classifier).");
        return shape;
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (shape.Rank == 4 && (shape[1] < XceptionSpec.MinSize || shape[2] < XceptionSpec.MinSize))
            return check.Fail($"Xception takes images of at least {XceptionSpec.MinSize}x{XceptionSpec.MinSize}, not {shape}.");
        return base.InferOutputs(inputs, check);
    }
}
