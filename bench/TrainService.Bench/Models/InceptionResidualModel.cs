using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench.Models;

/// <summary>
/// 32×32×3 → Conv2D(32) → an Inception module of four 32-filter branches concatenated to 128
/// channels → two Conv2D(128) added back to that tensor → MaxPooling2D(2) →
/// GlobalAveragePooling2D → Dense(10, softmax). All convolutions 'same', stride 1, relu.
/// </summary>
sealed class InceptionResidualModel : BenchModel
{
    public override string Name => "inception_residual";

    public override int DefaultBatch => 64;

    public override string Graph => """
    { "name": "inception_residual",
      "inputs": [{"name": "image", "shape": [32, 32, 3]}],
      "nodes": [
        {"name": "stem", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["image"]},
        {"name": "branch_a", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 1, "padding": "same", "activation": "relu"}, "inputs": ["stem"]},
        {"name": "branch_b_1", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 1, "padding": "same", "activation": "relu"}, "inputs": ["stem"]},
        {"name": "branch_b", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["branch_b_1"]},
        {"name": "branch_c_pool", "type": "AveragePooling2D", "config": {"pool_size": 3, "strides": 1, "padding": "same"}, "inputs": ["stem"]},
        {"name": "branch_c", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["branch_c_pool"]},
        {"name": "branch_d_1", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 1, "padding": "same", "activation": "relu"}, "inputs": ["stem"]},
        {"name": "branch_d_2", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["branch_d_1"]},
        {"name": "branch_d", "type": "Conv2D", "config": {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["branch_d_2"]},
        {"name": "inception", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["branch_a", "branch_b", "branch_c", "branch_d"]},
        {"name": "residual_1", "type": "Conv2D", "config": {"filters": 128, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["inception"]},
        {"name": "residual_2", "type": "Conv2D", "config": {"filters": 128, "kernel_size": 3, "padding": "same", "activation": "relu"}, "inputs": ["residual_1"]},
        {"name": "added", "type": "Add", "config": {}, "inputs": ["residual_2", "inception"]},
        {"name": "pooled", "type": "MaxPooling2D", "config": {"pool_size": 2}, "inputs": ["added"]},
        {"name": "features", "type": "GlobalAveragePooling2D", "config": {}, "inputs": ["pooled"]},
        {"name": "classes", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["features"]} ],
      "outputs": ["classes"] }
    """;

    public override string Compile => """{"optimizer": "rmsprop", "loss": "categorical_crossentropy"}""";

    public override (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator) =>
        ([rand(samples, 32, 32, 3, generator: generator)],
         [nn.functional.one_hot(randint(10, [samples], generator: generator), 10).to_type(ScalarType.Float32)]);

    public override Handwritten CreateHandwritten() => new Module();

    sealed class Module : Handwritten
    {
        readonly Conv2d stem = nn.Conv2d(3, 32, 3, padding: 1);
        readonly Conv2d branchA = nn.Conv2d(32, 32, 1);
        readonly Conv2d branchB1 = nn.Conv2d(32, 32, 1);
        readonly Conv2d branchB = nn.Conv2d(32, 32, 3, padding: 1);
        readonly Conv2d branchC = nn.Conv2d(32, 32, 3, padding: 1);
        readonly Conv2d branchD1 = nn.Conv2d(32, 32, 1);
        readonly Conv2d branchD2 = nn.Conv2d(32, 32, 3, padding: 1);
        readonly Conv2d branchD = nn.Conv2d(32, 32, 3, padding: 1);
        readonly Conv2d residual1 = nn.Conv2d(128, 128, 3, padding: 1);
        readonly Conv2d residual2 = nn.Conv2d(128, 128, 3, padding: 1);
        readonly Linear classes = nn.Linear(128, 10);

        public Module() : base("inception_residual") => RegisterComponents();

        static Tensor Relu(Tensor x) => nn.functional.relu(x);

        public override Tensor forward(Tensor[] inputs, Tensor[] targets)
        {
            // torch convolves (batch, channels, height, width).
            var x = Relu(stem.forward(inputs[0].permute(0, 3, 1, 2)));
            var a = Relu(branchA.forward(x));
            var b = Relu(branchB.forward(Relu(branchB1.forward(x))));
            // Keras's 'same' average pooling leaves the padding out of the mean.
            var pooled = nn.functional.avg_pool2d(x, [3, 3], [1, 1], [1, 1], count_include_pad: false);
            var c = Relu(branchC.forward(pooled));
            var d = Relu(branchD.forward(Relu(branchD2.forward(Relu(branchD1.forward(x))))));
            var inception = cat([a, b, c, d], 1);
            var added = Relu(residual2.forward(Relu(residual1.forward(inception)))) + inception;
            var features = nn.functional.max_pool2d(added, [2, 2]).mean([2, 3]);
            return KerasLoss.CategoricalCrossentropy(classes.forward(features).softmax(-1), targets[0]);
        }
    }
}
