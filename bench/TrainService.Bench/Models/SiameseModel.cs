using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench.Models;

/// <summary>The seed's Siamese LSTM (7.1.5, corrected): one LSTM(32) reads both (50, 128) inputs; Dense(1, sigmoid) on the pair.</summary>
sealed class SiameseModel : BenchModel
{
    public override string Name => "siamese";

    public override int DefaultBatch => 128;

    public override string Graph => """
    { "name": "siamese_lstm",
      "inputs": [{"name": "left_input", "shape": [50, 128]}, {"name": "right_input", "shape": [50, 128]}],
      "nodes": [
        {"name": "lstm", "type": "LSTM", "config": {"units": 32}, "inputs": ["left_input"]},
        {"name": "right_output", "share": "lstm", "inputs": ["right_input"]},
        {"name": "merged", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["lstm", "right_output"]},
        {"name": "predictions", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["merged"]} ],
      "outputs": ["predictions"] }
    """;

    public override string Compile => """{"optimizer": "rmsprop", "loss": "binary_crossentropy"}""";

    public override (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator) =>
        ([randn(samples, 50, 128, generator: generator), randn(samples, 50, 128, generator: generator)],
         [randint(2, [samples, 1], generator: generator).to_type(ScalarType.Float32)]);

    public override Handwritten CreateHandwritten() => new Module();

    sealed class Module : Handwritten
    {
        readonly LSTM lstm = nn.LSTM(128, 32, batchFirst: true);
        readonly Linear predictions = nn.Linear(64, 1);

        public Module() : base("siamese") => RegisterComponents();

        public override Tensor forward(Tensor[] inputs, Tensor[] targets)
        {
            var (_, left, _) = lstm.forward(inputs[0]);
            var (_, right, _) = lstm.forward(inputs[1]);
            var merged = cat([left[0], right[0]], -1);
            return KerasLoss.BinaryCrossentropy(predictions.forward(merged).sigmoid(), targets[0]);
        }
    }
}
