using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TrainService.Jobs.Data;

namespace TrainService.Api.Access;

/// <summary>Making and recognising API keys: "ts_" and 256 random bits; only their SHA-256 is stored.</summary>
public static class ApiKeys
{
    public static string NewKey() => "ts_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string PrefixOf(string key) => key[..Math.Min(key.Length, 10)];

    /// <summary>Creates a key (for a project, or admin when <paramref name="project"/> is null); the key itself is returned once and never stored.</summary>
    public static async Task<(ApiKeyRecord Record, string Key)> CreateAsync(TrainDbContext db, string name, string? project, DateTime now, CancellationToken cancellationToken)
    {
        var key = NewKey();
        var record = new ApiKeyRecord { Id = Guid.CreateVersion7(), Name = name, Project = project, Prefix = PrefixOf(key), Hash = Hash(key), CreatedAt = now };
        db.ApiKeys.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        return (record, key);
    }

    /// <summary>A project's name: what keys and records carry (letters, digits, '-', '_', '.', up to 64).</summary>
    public static bool IsValidProject(string? project) =>
        !string.IsNullOrEmpty(project) && project.Length <= 64 && project.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

/// <summary>
/// Whether this install requires keys: it does once any key exists (or an admin key is configured).
/// Asked on every request, so the answer is kept for a moment and dropped when keys change.
/// </summary>
public sealed class AccessState(IServiceScopeFactory scopes, Microsoft.Extensions.Options.IOptions<TrainService.Jobs.Hosting.AccessOptions> options, TimeProvider clock)
{
    static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(2);
    (bool Required, DateTimeOffset At)? known;

    public async Task<bool> KeysRequiredAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(options.Value.AdminKey)) return true;
        if (known is { } k && clock.GetUtcNow() - k.At < KeepFor) return k.Required;
        await using var scope = scopes.CreateAsyncScope();
        var required = await scope.ServiceProvider.GetRequiredService<TrainDbContext>().ApiKeys.AnyAsync(key => key.RevokedAt == null, cancellationToken);
        known = (required, clock.GetUtcNow());
        return required;
    }

    public void KeysChanged() => known = null;
}
