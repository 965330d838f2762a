using System.Diagnostics;
using System.Text.Json.Nodes;

namespace TrainService.Engine.Tests.Interop;

/// <summary>
/// Runs tools/keras-reference/load-exported.js under Node: TensorFlow.js loads an exported model
/// and predicts. Node and the tool's node_modules (npm ci) are required: without them the test
/// fails, it does not skip.
/// </summary>
static class TensorFlowJsProcess
{
    public static string ToolDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tools", "keras-reference");
                if (File.Exists(Path.Combine(candidate, "load-exported.js"))) return candidate;
            }
            throw new InvalidOperationException("tools/keras-reference/load-exported.js not found above " + AppContext.BaseDirectory);
        }
    }

    public static JsonArray LoadAndPredict(string modelFolder, JsonArray inputs)
    {
        var tool = ToolDirectory;
        Assert.True(Directory.Exists(Path.Combine(tool, "node_modules", "@tensorflow", "tfjs")),
            $"TensorFlow.js is not installed in {tool}: run 'npm ci' there (.ci/run does).");
        var inputsFile = Path.Combine(modelFolder, "inputs.json");
        File.WriteAllText(inputsFile, inputs.ToJsonString());
        var start = new ProcessStartInfo("node", [Path.Combine(tool, "load-exported.js"), modelFolder, inputsFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = tool,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "TensorFlow.js did not finish within a minute.");
        // tfjs prints a banner about tfjs-node first; the error follows it.
        Assert.True(process.ExitCode == 0, $"TensorFlow.js could not load the exported model: {string.Join(" ", error.Result.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('=') && !l.StartsWith("Hi, looks")))}");
        return JsonNode.Parse(output.Result)!["outputs"]!.AsArray();
    }
}
