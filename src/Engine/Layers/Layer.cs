using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;

namespace TrainService.Engine.Layers;

/// <summary>
/// A layer as Keras has it: the weight-owning object that one or more nodes call. Subclasses read
/// their Keras config, infer output shapes per call, declare their weights (Keras's build) and make
/// the torch module that computes them.
/// </summary>
public abstract class Layer
{
    public string Name { get; private set; } = "";

    /// <summary>The node type that defined the layer ("Dense", "LSTM", ...).</summary>
    public string Type { get; private set; } = "";

    /// <summary>Keras's trainable flag: false freezes every weight (and puts BatchNormalization in inference mode).</summary>
    public bool Trainable { get; private set; } = true;

    /// <summary>The config as the client sent it.</summary>
    public JsonObject Config { get; private set; } = [];

    /// <summary>Reads the config; errors go to the config's diagnostics.</summary>
    public void Initialize(string name, string type, LayerConfig config)
    {
        Name = name;
        Type = type;
        Config = config.Json;
        if (config.Raw("name") is JsonNode nameNode &&
            !(nameNode is JsonValue v && v.TryGetText(out var configName) && configName == name))
            config.Error("name", $"config name {nameNode.ToJsonString()} differs from the node's name '{name}'; leave it out or make them equal.");
        Trainable = config.Bool("trainable", true);
        ReadDType(config);
        Configure(config);
        config.Finish();
    }

    static void ReadDType(LayerConfig config)
    {
        var raw = config.Raw("dtype");
        if (raw is null) return;
        string? name = raw switch
        {
            JsonValue v when v.TryGetText(out var s) => s,
            // A dtype policy (Keras 3): {"class_name": "DTypePolicy", "config": {"name": "float32"}}.
            JsonObject policy when policy["config"] is JsonObject c && c["name"] is JsonValue n && n.TryGetText(out var s) => s,
            _ => null,
        };
        if (name != "float32")
            config.Error("dtype", $"dtype {raw.ToJsonString()} is not supported: layers compute in float32.");
    }

    protected abstract void Configure(LayerConfig config);

    public virtual int MinInputs => 1;

    public virtual int MaxInputs => 1;

    /// <summary>Integer inputs reach the layer as they are (Embedding); other layers get them cast to float32, as Keras does.</summary>
    public virtual bool AcceptsIntegerInputs => false;

    /// <summary>The class name Keras prints in a summary's "Layer (type)" column.</summary>
    public virtual string KerasClassName => Type;

    /// <summary>
    /// Keras's node index of the layer's first call. Keras 2 gives a nested model a node of its own
    /// construction first, so its calls are nodes 1, 2, ... ("encoder[1][0]" in a summary).
    /// </summary>
    public virtual int FirstKerasNodeIndex => 0;

    /// <summary>The output tensors of one call on these inputs, or null after reporting why it cannot be called.</summary>
    public abstract IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check);

    /// <summary>The weights the layer creates when built for these inputs, in Keras's order and layout.</summary>
    public virtual IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) => [];

    /// <summary>Parameter counts for a summary; nested models override this.</summary>
    public virtual (long Trainable, long NonTrainable) CountParams(IReadOnlyList<TensorInfo> inputs)
    {
        long trainable = 0, nonTrainable = 0;
        foreach (var w in DeclareWeights(inputs))
        {
            if (w.Trainable && Trainable) trainable += w.Count;
            else nonTrainable += w.Count;
        }
        return (trainable, nonTrainable);
    }

    /// <summary>The torch module that computes the layer, built for the first call's inputs.</summary>
    public abstract LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context);

    public override string ToString() => $"{Name} ({Type})";
}
