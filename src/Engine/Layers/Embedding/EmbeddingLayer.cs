using System.Text.Json.Nodes;
using TrainService.Engine.Graph;
using TrainService.Engine.Layers.Config;
using TrainService.Engine.Modules;
using static TorchSharp.torch;

namespace TrainService.Engine.Layers.Embedding;

/// <summary>
/// keras.layers.Embedding: integer indices (batch, ...) to rows of embeddings (input_dim,
/// output_dim), giving (batch, ..., output_dim). Float inputs are truncated to integers, as Keras
/// casts them.
/// </summary>
[LayerType("Embedding")]
public sealed class EmbeddingLayer : Layer
{
    public int InputDim { get; private set; }
    public int OutputDim { get; private set; }
    public Initializer EmbeddingsInitializer { get; private set; } = Initializer.Uniform;
    public Regularizer? EmbeddingsRegularizer { get; private set; }
    public Constraint? EmbeddingsConstraint { get; private set; }

    /// <summary>Keras 2's input_length: the sequence length the layer was declared for, or null.</summary>
    public IReadOnlyList<int>? InputLength { get; private set; }

    public override bool AcceptsIntegerInputs => true;

    protected override void Configure(LayerConfig config)
    {
        InputDim = config.RequiredInt("input_dim", min: 1);
        OutputDim = config.RequiredInt("output_dim", min: 1);
        EmbeddingsInitializer = config.Initializer("embeddings_initializer", Initializer.Uniform);
        EmbeddingsRegularizer = config.Regularizer("embeddings_regularizer");
        EmbeddingsConstraint = config.Constraint("embeddings_constraint");
        config.NoActivityRegularizer();
        config.Expect("mask_zero", false,
            "masking is not implemented: the layers after it would not skip the padded steps, so index 0 would count as a real token. Pad with 0 and leave mask_zero false.");
        config.Expect("lora_rank", null, "LoRA adapters are not implemented.");
        config.Expect("lora_alpha", null, "LoRA adapters are not implemented.");
        config.Expect("quantization_config", null, "quantized layers are not implemented.");
        InputLength = ReadInputLength(config);
    }

    static int[]? ReadInputLength(LayerConfig config)
    {
        var raw = config.Raw("input_length");
        switch (raw)
        {
            case null:
                return null;
            case JsonValue v when v.TryGetValue<int>(out var n) && n > 0:
                return [n];
            case JsonArray a when a.Count > 0 && a.All(d => d is JsonValue dv && dv.TryGetValue<int>(out var x) && x > 0):
                return a.Select(d => d!.GetValue<int>()).ToArray();
            default:
                config.Error("input_length", $"'input_length' must be a positive integer or null, not {raw.ToJsonString()}.");
                return null;
        }
    }

    public override IReadOnlyList<TensorInfo>? InferOutputs(IReadOnlyList<TensorInfo> inputs, ShapeCheck check)
    {
        var shape = inputs[0].Shape;
        if (InputLength is { } length && !shape.SampleDims.Select(d => d ?? -1).SequenceEqual(length))
            return check.Fail($"Embedding's input_length {(length.Count == 1 ? length[0] : "[" + string.Join(", ", length) + "]")} (Keras 2) does not match its input {shape}; make them equal, or leave input_length out.");
        return [new TensorInfo(new Shape([.. shape.Dims, OutputDim]))];
    }

    public override IReadOnlyList<WeightSpec> DeclareWeights(IReadOnlyList<TensorInfo> inputs) =>
        [new("embeddings", [InputDim, OutputDim], true, EmbeddingsInitializer, EmbeddingsRegularizer, EmbeddingsConstraint)];

    public override LayerModule CreateModule(IReadOnlyList<TensorInfo> inputs, BuildContext context) =>
        new EmbeddingModule(this, DeclareWeights(inputs)[0], context);

    sealed class EmbeddingModule : UnaryLayerModule
    {
        readonly Tensor embeddings;
        readonly long inputDim;
        readonly string layerName;

        public EmbeddingModule(EmbeddingLayer layer, WeightSpec spec, BuildContext context) : base(layer.Name, context)
        {
            embeddings = AddWeight("embeddings", spec, layer.Trainable);
            inputDim = layer.InputDim;
            layerName = layer.Name;
        }

        public override Tensor Forward(Tensor input)
        {
            var indices = input.dtype == ScalarType.Int64 ? input : input.to_type(ScalarType.Int64);
            CheckRange(indices);
            return embeddings.index_select(0, indices.reshape(-1)).reshape([.. indices.shape, embeddings.shape[1]]);
        }

        /// <summary>An index outside the table reads other memory in native code; say which index and why instead.</summary>
        void CheckRange(Tensor indices)
        {
            if (indices.numel() == 0) return;
            using var low = indices.min();
            using var high = indices.max();
            long min = low.item<long>(), max = high.item<long>();
            if (min >= 0 && max < inputDim) return;
            var bad = min < 0 ? min : max;
            throw new ArgumentException(
                $"Layer '{layerName}': index {bad} is out of range for an Embedding with input_dim {inputDim} (indices must be in [0, {inputDim - 1}]).");
        }
    }
}
