using System.Diagnostics;
using System.Text;

/// <summary>The API or a worker node in a process of its own, from this program's build output, configured through the environment.</summary>
sealed class Node : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    Node(Process process) => this.process = process;

    public static Node Start(string assembly, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", $"exec \"{Path.Combine(AppContext.BaseDirectory, assembly)}\"")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;
        start.Environment["DOTNET_ENVIRONMENT"] = start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        var node = new Node(Process.Start(start)!);
        node.process.OutputDataReceived += (_, e) => { lock (node.output) node.output.AppendLine(e.Data); };
        node.process.ErrorDataReceived += (_, e) => { lock (node.output) node.output.AppendLine(e.Data); };
        node.process.BeginOutputReadLine();
        node.process.BeginErrorReadLine();
        return node;
    }

    public bool HasExited => process.HasExited;

    /// <summary>A free loopback port for a node to listen on.</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Waits for an API node to answer /readyz (database and queue up), or fails with its output.</summary>
    public async Task WaitUntilServingAsync(HttpClient http)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline || HasExited) throw new InvalidOperationException("The API did not start:\n" + Output);
            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the node dies on the spot.</summary>
    public void Kill()
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }
}
