using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// The seed chapter's models at test size: the same layers, inputs, outputs and names as
/// examples/qa-two-input.json and examples/posts-multi-output.json, with small vocabularies and widths.
/// </summary>
public static class SeedModels
{
    public const string QuestionAnswering = """
    { "name": "question_answering",
      "inputs": [{"name": "text", "shape": [null], "dtype": "int32"}, {"name": "question", "shape": [null], "dtype": "int32"}],
      "nodes": [
        {"name": "embedded_text", "type": "Embedding", "config": {"input_dim": 50, "output_dim": 8}, "inputs": ["text"]},
        {"name": "encoded_text", "type": "LSTM", "config": {"units": 8}, "inputs": ["embedded_text"]},
        {"name": "embedded_question", "type": "Embedding", "config": {"input_dim": 50, "output_dim": 4}, "inputs": ["question"]},
        {"name": "encoded_question", "type": "LSTM", "config": {"units": 4}, "inputs": ["embedded_question"]},
        {"name": "concatenated", "type": "Concatenate", "config": {"axis": -1}, "inputs": ["encoded_text", "encoded_question"]},
        {"name": "answer", "type": "Dense", "config": {"units": 5, "activation": "softmax"}, "inputs": ["concatenated"]}],
      "outputs": ["answer"] }
    """;

    /// <summary>Texts and questions of random word ids, answers in 0..4 (the chapter's random data).</summary>
    public static NdArray[] QuestionAnsweringData(int samples = 64)
    {
        var random = new Random(11);
        NdArray Words(string name, int length) => new(new ArrayInfo(name, ArrayDType.Int32, [samples, length]),
            Enumerable.Range(0, samples * length).SelectMany(_ => BitConverter.GetBytes(random.Next(1, 50))).ToArray());
        return [Words("text", 6), Words("question", 4), NdArray.Of("answer", TestData.Ints(samples, 5, 12), samples)];
    }

    public const string Posts = """
    { "name": "social_media_posts",
      "inputs": [{"name": "posts", "shape": [null], "dtype": "int32"}],
      "nodes": [
        {"name": "embedded_posts", "type": "Embedding", "config": {"input_dim": 60, "output_dim": 8}, "inputs": ["posts"]},
        {"name": "conv1d", "type": "Conv1D", "config": {"filters": 8, "kernel_size": 3, "activation": "relu"}, "inputs": ["embedded_posts"]},
        {"name": "max_pooling1d", "type": "MaxPooling1D", "config": {"pool_size": 2}, "inputs": ["conv1d"]},
        {"name": "conv1d_1", "type": "Conv1D", "config": {"filters": 8, "kernel_size": 3, "activation": "relu"}, "inputs": ["max_pooling1d"]},
        {"name": "global_max_pooling1d", "type": "GlobalMaxPooling1D", "config": {}, "inputs": ["conv1d_1"]},
        {"name": "x", "type": "Dense", "config": {"units": 16, "activation": "relu"}, "inputs": ["global_max_pooling1d"]},
        {"name": "age", "type": "Dense", "config": {"units": 1}, "inputs": ["x"]},
        {"name": "income", "type": "Dense", "config": {"units": 10, "activation": "softmax"}, "inputs": ["x"]},
        {"name": "gender", "type": "Dense", "config": {"units": 1, "activation": "sigmoid"}, "inputs": ["x"]}],
      "outputs": ["age", "income", "gender"] }
    """;

    /// <summary>Posts of 20 word ids; per post an age, an income class (0..9, sparse labels) and a gender (0 or 1).</summary>
    public static NdArray[] PostsData(int samples = 64)
    {
        var random = new Random(21);
        var posts = new NdArray(new ArrayInfo("posts", ArrayDType.Int32, [samples, 20]),
            Enumerable.Range(0, samples * 20).SelectMany(_ => BitConverter.GetBytes(random.Next(1, 60))).ToArray());
        var age = NdArray.Of("age_targets", Enumerable.Range(0, samples).Select(_ => (float)random.Next(18, 70)).ToArray(), samples, 1);
        var income = NdArray.Of("income_targets", TestData.Ints(samples, 10, 22), samples);
        var gender = NdArray.Of("gender_targets", Enumerable.Range(0, samples).Select(_ => (float)random.Next(2)).ToArray(), samples, 1);
        return [posts, age, income, gender];
    }
}
