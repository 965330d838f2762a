using System.Globalization;
using TrainService.Bench;
using TrainService.Bench.Models;
using TrainService.Engine.Graph;
using static TorchSharp.torch;

// dotnet run -c Release --project bench/TrainService.Bench -- --model NAME|all [--batch N] [--steps N] [--rounds N] [--threads N]
// Trains each model with the engine and with a hand-written TorchSharp equivalent on the same random
// data, alternating the two for several rounds, and prints the best time per step of each: on a
// shared machine other work only ever adds time, so the fastest round is the closest to the cost.
BenchModel[] models = [new MlpModel(), new QaModel(), new PostsModel(), new InceptionResidualModel(), new SiameseModel()];
var options = Arguments.Parse(args);
if (options is null)
{
    Console.Error.WriteLine($"usage: --model {string.Join("|", models.Select(m => m.Name))}|all [--batch N] [--steps N] [--rounds N] [--threads N]");
    return 2;
}
if (options.Threads is int threads) set_num_threads(threads);
var selected = options.Model == "all" ? models : models.Where(m => m.Name == options.Model).ToArray();
if (selected.Length == 0)
{
    Console.Error.WriteLine($"Unknown model '{options.Model}'. Models: {string.Join(", ", models.Select(m => m.Name))}, all.");
    return 2;
}

foreach (var model in selected)
{
    int batch = options.Batch ?? model.DefaultBatch;
    try
    {
        Console.WriteLine(Bench.Run(model, batch, options.Steps, options.Rounds));
    }
    catch (GraphValidationException e) when (e.Errors.All(d => d.Message.Contains("unknown layer type", StringComparison.Ordinal)))
    {
        // The engine lacks a layer type this model needs (they land with the layer work).
        var missing = e.Errors.Select(d => d.Message.Split('\'')[3]).Distinct();
        Console.WriteLine($"model={model.Name} batch={batch} skipped: the engine has no {string.Join(", ", missing)} layer yet");
    }
}
return 0;

sealed record Arguments(string Model, int? Batch, int Steps, int Rounds, int? Threads)
{
    public static Arguments? Parse(string[] args)
    {
        string? model = null;
        int? batch = null, threads = null;
        int steps = 20, rounds = 5;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--model") { model = args[i + 1]; continue; }
            if (!int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1) return null;
            switch (args[i])
            {
                case "--batch": batch = value; break;
                case "--steps": steps = value; break;
                case "--rounds": rounds = value; break;
                case "--threads": threads = value; break;
                default: return null;
            }
        }
        return model is null || args.Length % 2 != 0 ? null : new Arguments(model, batch, steps, rounds, threads);
    }
}

static class Bench
{
    public static string Run(BenchModel model, int batch, int steps, int rounds)
    {
        using var generator = new Generator(7);
        var (inputs, targets) = model.Data((long)batch * steps, generator);
        try
        {
            using var engine = new EngineRunner(model, inputs, targets, batch);
            using var handwritten = new HandwrittenRunner(model, inputs, targets, batch);
            // A first epoch each warms up the JIT, torch's kernels and its allocator.
            engine.MillisecondsPerStep(0);
            handwritten.MillisecondsPerStep(0);
            var engineTimes = new List<double>();
            var handwrittenTimes = new List<double>();
            for (int round = 1; round <= rounds; round++)
            {
                engineTimes.Add(engine.MillisecondsPerStep(round));
                handwrittenTimes.Add(handwritten.MillisecondsPerStep(round));
            }
            double e = engineTimes.Min(), h = handwrittenTimes.Min();
            return string.Create(CultureInfo.InvariantCulture,
                $"model={model.Name} batch={batch} engine_ms_per_step={e:F3} handwritten_ms_per_step={h:F3} ratio={e / h:F3} samples_per_s={batch * 1000 / e:F0}");
        }
        finally
        {
            foreach (var t in inputs.Concat(targets)) t.Dispose();
        }
    }
}
