using System.Diagnostics;
using System.Text.RegularExpressions;
using TrainService.Api.Tests.Infrastructure;

namespace TrainService.Api.Tests;

/// <summary>The README's curl session, run word for word by bash against the service on a real port.</summary>
public sealed partial class ReadmeSessionTests
{
    [GeneratedRegex(@"## Using the service.*?```bash\n(?<script>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Session();

    [Fact]
    public async Task ReadmeCurlSessionWorks()
    {
        var root = TestData.RepositoryRoot();
        var script = Session().Match(await File.ReadAllTextAsync(Path.Combine(root, "README.md"))).Groups["script"].Value;
        Assert.Contains("API=http://localhost:5000", script);
        int port = TestData.FreePort();
        await using var service = new ServiceFactory();
        service.UseKestrel(port);
        service.StartServer();

        var start = new ProcessStartInfo("bash", ["-euo", "pipefail", "-c", script.Replace("API=http://localhost:5000", $"API=http://127.0.0.1:{port}")])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync();
        var error = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await bash.WaitForExitAsync(timeout.Token);
        var printed = await output;
        Assert.True(bash.ExitCode == 0, $"exit {bash.ExitCode}\n{printed}\n{await error}");
        // The last line is the prediction's width: the 500 answer probabilities.
        Assert.Equal("500", printed.TrimEnd().Split('\n')[^1]);
        Assert.Contains("\"status\":\"succeeded\"", printed.Replace(" ", ""));
    }
}
