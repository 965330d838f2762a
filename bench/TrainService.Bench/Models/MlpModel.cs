using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench.Models;

/// <summary>The seed's 64-32-32-10 MLP (7.1.1), categorical crossentropy.</summary>
sealed class MlpModel : BenchModel
{
    public override string Name => "mlp";

    public override int DefaultBatch => 128;

    public override string Graph => """
    { "name": "mlp", "inputs": [{"name": "input", "shape": [64]}],
      "nodes": [
        {"name": "dense_1", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["input"]},
        {"name": "dense_2", "type": "Dense", "config": {"units": 32, "activation": "relu"}, "inputs": ["dense_1"]},
        {"name": "dense_3", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["dense_2"]} ],
      "outputs": ["dense_3"] }
    """;

    public override string Compile => """{"optimizer": "rmsprop", "loss": "categorical_crossentropy"}""";

    public override (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator) =>
        ([randn(samples, 64, generator: generator)],
         [nn.functional.one_hot(randint(10, [samples], generator: generator), 10).to_type(ScalarType.Float32)]);

    public override Handwritten CreateHandwritten() => new Module();

    sealed class Module : Handwritten
    {
        readonly Linear dense1 = nn.Linear(64, 32);
        readonly Linear dense2 = nn.Linear(32, 32);
        readonly Linear dense3 = nn.Linear(32, 10);

        public Module() : base("mlp") => RegisterComponents();

        public override Tensor forward(Tensor[] inputs, Tensor[] targets)
        {
            var x = nn.functional.relu(dense1.forward(inputs[0]));
            x = nn.functional.relu(dense2.forward(x));
            return KerasLoss.CategoricalCrossentropy(dense3.forward(x).softmax(-1), targets[0]);
        }
    }
}
