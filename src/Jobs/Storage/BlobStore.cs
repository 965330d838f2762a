using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Hosting;

namespace TrainService.Jobs.Storage;

/// <summary>
/// Files in the data folder, content-addressed by SHA-256 (blobs/ab/abcd…): the same bytes are
/// stored once whoever uploads them, and a file never changes once it has a name. New files are
/// written under tmp/ and moved into place only once complete, so a failed request leaves no blob.
/// </summary>
public sealed class BlobStore
{
    public BlobStore(IOptions<StorageOptions> options, IHostEnvironment environment)
    {
        Root = Path.GetFullPath(options.Value.DataDir, environment.ContentRootPath);
        Directory.CreateDirectory(BlobsDir);
        Directory.CreateDirectory(TempDir);
    }

    public string Root { get; }

    string BlobsDir => Path.Combine(Root, "blobs");

    string TempDir => Path.Combine(Root, "tmp");

    public static bool IsSha256(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);

    public string PathOf(string sha256)
    {
        if (!IsSha256(sha256)) throw new ArgumentException("Not a lower-case SHA-256.", nameof(sha256));
        return Path.Combine(BlobsDir, sha256[..2], sha256);
    }

    /// <summary>A folder of the run's own files (ModelCheckpoint's), created on first use.</summary>
    public string RunDirectory(Guid runId) => Directory.CreateDirectory(Path.Combine(Root, "runs", runId.ToString("N"))).FullName;

    public bool Exists(string sha256) => File.Exists(PathOf(sha256));

    public FileStream OpenRead(string sha256) =>
        new(PathOf(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);

    /// <summary>A new file under tmp/, deleted on dispose unless it was committed.</summary>
    public TempBlob CreateTemp() => new(this, Path.Combine(TempDir, Guid.NewGuid().ToString("N")));

    /// <summary>Moves a finished temp file to its content address and returns the address.</summary>
    public async Task<(string Sha256, long SizeBytes)> CommitAsync(TempBlob temp, CancellationToken cancellationToken)
    {
        var (sha256, size) = temp.Written is { } written ? written : await HashFileAsync(temp.Path, cancellationToken);
        var target = PathOf(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(temp.Path, target);
        }
        catch (IOException) when (File.Exists(target))
        {
            // The same bytes are already stored.
        }
        temp.Committed = true;
        if (File.Exists(temp.Path)) File.Delete(temp.Path);
        return (sha256, size);
    }

    public void Delete(string sha256)
    {
        var path = PathOf(sha256);
        if (File.Exists(path)) File.Delete(path);
    }

    static async Task<(string, long)> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (Convert.ToHexStringLower(hash), stream.Length);
    }
}

/// <summary>A file being written under tmp/: written to through <see cref="WriteAsync"/> (hashed on the way) or by path.</summary>
public sealed class TempBlob : IAsyncDisposable, IDisposable
{
    readonly BlobStore store;
    readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    FileStream? stream;
    long size;

    internal TempBlob(BlobStore store, string path)
    {
        this.store = store;
        Path = path;
    }

    public string Path { get; }

    public long Size => size;

    /// <summary>SHA-256 of what went through <see cref="WriteAsync"/>, once closed.</summary>
    public string? Sha256 => Written?.Item1;

    internal bool Committed { get; set; }

    /// <summary>The hash and size of what went through <see cref="WriteAsync"/>, once it is closed.</summary>
    internal (string, long)? Written { get; private set; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        stream ??= new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        hash.AppendData(data.Span);
        size += data.Length;
        await stream.WriteAsync(data, cancellationToken);
    }

    /// <summary>Finishes writing; the file can then be read and committed.</summary>
    public async ValueTask CloseAsync()
    {
        if (stream is null)
        {
            await File.WriteAllBytesAsync(Path, []);
        }
        else
        {
            await stream.DisposeAsync();
            stream = null;
        }
        Written = (Convert.ToHexStringLower(hash.GetHashAndReset()), size);
    }

    public Task<(string Sha256, long SizeBytes)> CommitAsync(CancellationToken cancellationToken) => store.CommitAsync(this, cancellationToken);

    public void Dispose()
    {
        stream?.Dispose();
        hash.Dispose();
        if (!Committed && File.Exists(Path)) File.Delete(Path);
    }

    public async ValueTask DisposeAsync()
    {
        if (stream is not null) await stream.DisposeAsync();
        Dispose();
    }
}
