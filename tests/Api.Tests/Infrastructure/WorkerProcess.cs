using System.Diagnostics;
using System.Text;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// A standalone worker node (src/Jobs, the program `dotnet run --project src/Jobs` starts) in a
/// process of its own, configured through the environment as an operator would.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    public WorkerProcess(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", $"exec \"{Path.Combine(AppContext.BaseDirectory, "TrainService.Jobs.dll")}\"")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool HasExited => process.HasExited;

    /// <summary>SIGKILL: the node dies on the spot, as in a power cut or an OOM kill.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as an orchestrator stops a container: the worker shuts down gracefully.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", $"-TERM {process.Id}")) await kill.WaitForExitAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
    }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
