using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench.Models;

/// <summary>
/// The seed's multi-output posts model (7.1.3) as the book meant it, Embedding(50000, 256), on
/// posts of 500 words; heads age (mse), income (10 classes) and gender (binary) weighted 0.25 / 1 / 10.
/// </summary>
sealed class PostsModel : BenchModel
{
    const int Vocabulary = 50_000, Length = 500, Incomes = 10;

    public override string Name => "posts";

    public override int DefaultBatch => 64;

    public override string Graph => """
    { "name": "social_media_posts",
      "inputs": [{"name": "posts", "shape": [null], "dtype": "int32"}],
      "nodes": [
        {"name": "embedded_posts", "type": "Embedding", "config": {"input_dim": 50000, "output_dim": 256}, "inputs": ["posts"]},
        {"name": "conv1d", "type": "Conv1D", "config": {"filters": 128, "kernel_size": 5, "activation": "relu"}, "inputs": ["embedded_posts"]},
        {"name": "max_pooling1d", "type": "MaxPooling1D", "config": {"pool_size": 5}, "inputs": ["conv1d"]},
        {"name": "conv1d_1", "type": "Conv1D", "config": {"filters": 256, "kernel_size": 5, "activation": "relu"}, "inputs": ["max_pooling1d"]},
        {"name": "conv1d_2", "type": "Conv1D", "config": {"filters": 256, "kernel_size": 5, "activation": "relu"}, "inputs": ["conv1d_1"]},
        {"name": "max_pooling1d_1", "type": "MaxPooling1D", "config": {"pool_size": 5}, "inputs": ["conv1d_2"]},
        {"name": "conv1d_3", "type": "Conv1D", "config": {"filters": 256, "kernel_size": 5, "activation": "relu"}, "inputs": ["max_pooling1d_1"]},
        {"name": "conv1d_4", "type": "Conv1D", "config": {"filters": 256, "kernel_size": 5, "activation": "relu"}, "inputs": ["conv1d_3"]},
        {"name": "global_max_pooling1d", "type": "GlobalMaxPooling1D", "config": {}, "inputs": ["conv1d_4"]},
        {"name": "x", "type": "Dense", "config": {"units": 128, "activation": "relu"}, "inputs": ["global_max_pooling1d"]},
        {"name": "age", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]},
        {"name": "income", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["x"]},
        {"name": "gender", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["x"]} ],
      "outputs": ["age", "income", "gender"] }
    """;

    public override string Compile => """
        {"optimizer": "rmsprop", "loss": ["mse", "categorical_crossentropy", "binary_crossentropy"], "loss_weights": [0.25, 1.0, 10.0]}
        """;

    public override (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator) =>
        ([randint(1, Vocabulary, [samples, Length], dtype: ScalarType.Int32, generator: generator)],
         [randn(samples, 1, generator: generator) * 10 + 40,
          nn.functional.one_hot(randint(Incomes, [samples], generator: generator), Incomes).to_type(ScalarType.Float32),
          randint(2, [samples, 1], generator: generator).to_type(ScalarType.Float32)]);

    public override Handwritten CreateHandwritten() => new Module();

    sealed class Module : Handwritten
    {
        readonly Embedding embedding = nn.Embedding(Vocabulary, 256);
        readonly Conv1d conv1 = nn.Conv1d(256, 128, 5);
        readonly Conv1d conv2 = nn.Conv1d(128, 256, 5);
        readonly Conv1d conv3 = nn.Conv1d(256, 256, 5);
        readonly Conv1d conv4 = nn.Conv1d(256, 256, 5);
        readonly Conv1d conv5 = nn.Conv1d(256, 256, 5);
        readonly Linear dense = nn.Linear(256, 128);
        readonly Linear age = nn.Linear(128, 1);
        readonly Linear income = nn.Linear(128, Incomes);
        readonly Linear gender = nn.Linear(128, 1);

        public Module() : base("posts") => RegisterComponents();

        public override Tensor forward(Tensor[] inputs, Tensor[] targets)
        {
            // torch convolves (batch, channels, length).
            var x = embedding.forward(inputs[0]).permute(0, 2, 1);
            x = nn.functional.max_pool1d(nn.functional.relu(conv1.forward(x)), 5);
            x = nn.functional.relu(conv2.forward(x));
            x = nn.functional.max_pool1d(nn.functional.relu(conv3.forward(x)), 5);
            x = nn.functional.relu(conv4.forward(x));
            x = nn.functional.relu(conv5.forward(x)).amax([-1]);
            x = nn.functional.relu(dense.forward(x));
            return 0.25 * KerasLoss.MeanSquaredError(age.forward(x), targets[0])
                + KerasLoss.CategoricalCrossentropy(income.forward(x).softmax(-1), targets[1])
                + 10 * KerasLoss.BinaryCrossentropy(gender.forward(x).sigmoid(), targets[2]);
        }
    }
}
