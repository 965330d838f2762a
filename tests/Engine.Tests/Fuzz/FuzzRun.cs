using System.Collections.Concurrent;
using System.Text.Json;
using CsCheck;

namespace TrainService.Engine.Tests.Fuzz;

/// <summary>
/// One fuzz target's run: CsCheck draws the cases (which corpus file, how many mutations, the
/// mutation seed) from a fixed seed, so a failure replays; each case must end in a result or in the
/// parser's own validation error, within a time bound. Anything else is a bug, kept under
/// TestResults/fuzz/crashes with the input. Counts per answer go to TestResults/fuzz/TARGET.json
/// (docs/bad-input.md is made from them). TRAINSERVICE_FUZZ_ITERATIONS runs longer.
/// </summary>
public sealed class FuzzRun(string target, int iterations)
{
    static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(10);
    readonly ConcurrentDictionary<string, int> answers = new();
    readonly ConcurrentBag<string> failures = [];

    public static string Results => Directory.CreateDirectory(Path.Combine(FindRoot(), "TestResults", "fuzz")).FullName;

    public int Iterations { get; } = int.TryParse(Environment.GetEnvironmentVariable("TRAINSERVICE_FUZZ_ITERATIONS"), out var n) ? n : iterations;

    /// <param name="expected">The exception types that are the parser's answer to bad input.</param>
    public void Run<TInput>(IReadOnlyList<TInput> corpus, Func<Mutator, TInput, int, TInput> mutate, Func<TInput, string> accept, Func<TInput, byte[]> bytesOf,
        params Type[] expected)
    {
        var cases = Gen.Select(Gen.Int[0, corpus.Count - 1], Gen.Int[0, 6], Gen.Int);
        cases.Sample((index, rounds, seed) =>
        {
            TInput input;
            try
            {
                input = rounds == 0 ? corpus[index] : mutate(new Mutator(new Random(seed)), corpus[index], rounds);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"The mutator failed: {e}");
            }
            string answer;
            try
            {
                var work = Task.Run(() => accept(input));
                if (!work.Wait(TimeBound)) throw new TimeoutException($"no answer within {TimeBound.TotalSeconds} s");
                answer = work.Result.StartsWith("rejected", StringComparison.Ordinal) ? work.Result : "accepted" + (work.Result.Length > 0 ? ": " + work.Result : "");
            }
            catch (Exception e) when (Unwrap(e) is var inner && expected.Any(t => t.IsInstanceOfType(inner)))
            {
                answer = "rejected: " + inner.GetType().Name;
            }
            catch (Exception e)
            {
                var inner = Unwrap(e);
                var file = Path.Combine(Directory.CreateDirectory(Path.Combine(Results, "crashes")).FullName, $"{target}-{index}-{rounds}-{seed}.bin");
                File.WriteAllBytes(file, bytesOf(input));
                var frame = inner.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("TrainService.Engine.") && !l.Contains("Tests"))?.Trim() ?? "";
                failures.Add($"{inner.GetType().Name} {frame} | {inner.Message} (input kept at {file})");
                answer = "crashed: " + inner.GetType().Name;
            }
            answers.AddOrUpdate(answer, 1, (_, count) => count + 1);
            return true;
        }, iter: Iterations, threads: 1, seed: "0000fuzz0001");
        File.WriteAllText(Path.Combine(Results, target + ".json"), JsonSerializer.Serialize(new { target, cases = answers.Values.Sum(), answers = answers.OrderBy(a => a.Key).ToDictionary() },
            new JsonSerializerOptions { WriteIndented = true }));
        Assert.True(failures.IsEmpty, $"{target}: {failures.Count} inputs crashed the parser:\n"
            + string.Join("\n", failures.GroupBy(f => f.Split(" | ")[0]).Select(g => $"{g.Count()} x {g.First()}")));
        Assert.Equal(Iterations, answers.Values.Sum());
    }

    static Exception Unwrap(Exception e) => e is AggregateException { InnerException: { } inner } ? Unwrap(inner) : e;

    static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "TrainService.sln"))) directory = directory.Parent;
        return directory?.FullName ?? AppContext.BaseDirectory;
    }
}
