#:project ../../src/Engine/Engine.csproj
// Writes examples/data/qa.npz: data for the seed's two-input QA model (examples/qa-two-input.json)
// as the chapter makes it (7.1.2): random word ids for texts and questions, random answers.
// Run from the repository root: dotnet run tools/sample-data/make-qa.cs
using TrainService.Engine.Datasets;

const int samples = 200, length = 20, vocabulary = 10_000, answers = 500;
var random = new Random(7);
int[] Words(int count) => Enumerable.Range(0, count).Select(_ => random.Next(1, vocabulary)).ToArray();
var text = Words(samples * length);
var question = Words(samples * length);
var answer = Enumerable.Range(0, samples).Select(_ => (long)random.Next(answers)).ToArray();

NdArray Int32(string name, int[] values, params long[] shape) =>
    new(new ArrayInfo(name, ArrayDType.Int32, shape), values.SelectMany(BitConverter.GetBytes).ToArray());

using var file = File.Create("examples/data/qa.npz");
NpyWriter.WriteNpz(file, [Int32("text", text, samples, length), Int32("question", question, samples, length), NdArray.Of("answer", answer, samples)]);
Console.WriteLine($"examples/data/qa.npz: {file.Length} bytes");
