using System.Net;
using System.Net.Sockets;

namespace TrainService.Api.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder between a client and the API whose connections a test can cut, as a
/// flaky network or a load balancer's restart does, without touching either end.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    readonly TcpListener listener = new(IPAddress.Loopback, 0);
    readonly Uri target;
    readonly List<TcpClient> open = [];
    readonly CancellationTokenSource stop = new();
    readonly Task accepting;

    public TcpProxy(string targetUrl)
    {
        target = new Uri(targetUrl);
        listener.Start();
        accepting = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <summary>Cuts every connection open now; new ones go through.</summary>
    public void CutAll()
    {
        lock (open)
        {
            foreach (var client in open) client.Client?.Close(0);
            open.Clear();
        }
    }

    async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var inbound = await listener.AcceptTcpClientAsync(stop.Token);
                var outbound = new TcpClient();
                await outbound.ConnectAsync(target.Host, target.Port, stop.Token);
                lock (open) open.AddRange([inbound, outbound]);
                _ = PumpAsync(inbound, outbound);
                _ = PumpAsync(outbound, inbound);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream());
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
        finally
        {
            from.Close();
            to.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        CutAll();
        await accepting;
    }
}
