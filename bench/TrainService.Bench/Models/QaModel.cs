using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrainService.Bench.Models;

/// <summary>The seed's two-input question answering model (7.1.2): vocabularies of 10,000, length 100.</summary>
sealed class QaModel : BenchModel
{
    const int Vocabulary = 10_000, Length = 100, Answers = 500;

    public override string Name => "qa";

    public override int DefaultBatch => 128;

    public override string Graph => """
    { "name": "question_answering",
      "inputs": [{"name": "text", "shape": [null], "dtype": "int32"}, {"name": "question", "shape": [null], "dtype": "int32"}],
      "nodes": [
        {"name": "embedded_text", "type": "Embedding", "config": {"input_dim": 10000, "output_dim": 64}, "inputs": ["text"]},
        {"name": "encoded_text", "type": "LSTM", "config": {"units": 32}, "inputs": ["embedded_text"]},
        {"name": "embedded_question", "type": "Embedding", "config": {"input_dim": 10000, "output_dim": 32}, "inputs": ["question"]},
        {"name": "encoded_question", "type": "LSTM", "config": {"units": 16}, "inputs": ["embedded_question"]},
        {"name": "concatenated", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["encoded_text", "encoded_question"]},
        {"name": "answer", "type": "Dense", "config": {"units": 500, "activation": "softmax"}, "inputs": ["concatenated"]} ],
      "outputs": ["answer"] }
    """;

    public override string Compile => """{"optimizer": "rmsprop", "loss": "categorical_crossentropy"}""";

    public override (Tensor[] Inputs, Tensor[] Targets) Data(long samples, Generator generator) =>
        ([randint(1, Vocabulary, [samples, Length], dtype: ScalarType.Int32, generator: generator),
          randint(1, Vocabulary, [samples, Length], dtype: ScalarType.Int32, generator: generator)],
         [nn.functional.one_hot(randint(Answers, [samples], generator: generator), Answers).to_type(ScalarType.Float32)]);

    public override Handwritten CreateHandwritten() => new Module();

    sealed class Module : Handwritten
    {
        readonly Embedding embeddedText = nn.Embedding(Vocabulary, 64);
        readonly LSTM encodedText = nn.LSTM(64, 32, batchFirst: true);
        readonly Embedding embeddedQuestion = nn.Embedding(Vocabulary, 32);
        readonly LSTM encodedQuestion = nn.LSTM(32, 16, batchFirst: true);
        readonly Linear answer = nn.Linear(48, Answers);

        public Module() : base("qa") => RegisterComponents();

        public override Tensor forward(Tensor[] inputs, Tensor[] targets)
        {
            var (_, text, _) = encodedText.forward(embeddedText.forward(inputs[0]));
            var (_, question, _) = encodedQuestion.forward(embeddedQuestion.forward(inputs[1]));
            var joined = cat([text[0], question[0]], -1);
            return KerasLoss.CategoricalCrossentropy(answer.forward(joined).softmax(-1), targets[0]);
        }
    }
}
