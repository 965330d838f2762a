using System.IO.Compression;
using System.Net.Http.Headers;
using TrainService.Engine.Datasets;

namespace TrainService.Api.Tests.Infrastructure;

public static class TestData
{
    /// <summary>The repository's root folder (where TrainService.sln is), found from the test's output folder.</summary>
    public static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "TrainService.sln"))) dir = Path.GetDirectoryName(dir)!;
        return dir;
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static byte[] Npz(params NdArray[] arrays)
    {
        var stream = new MemoryStream();
        NpyWriter.WriteNpz(stream, arrays);
        return stream.ToArray();
    }

    /// <summary>An .npz whose only member has the given (hostile) name.</summary>
    public static byte[] NpzWithMember(string memberName, NdArray array)
    {
        var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var member = archive.CreateEntry(memberName).Open();
            NpyWriter.Write(member, array);
        }
        return stream.ToArray();
    }

    public static MultipartFormDataContent Upload(byte[] file, string fileName, string? name = null)
    {
        var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(content, "file", fileName);
        if (name is not null) form.Add(new StringContent(name), "name");
        return form;
    }

    /// <summary>Deterministic pseudo-random floats in [0, 1).</summary>
    public static float[] Floats(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
    }

    public static long[] Ints(int count, int max, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (long)random.Next(max)).ToArray();
    }
}
