using System.ComponentModel;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Api.Infrastructure;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Access;

/// <summary>
/// POST   /api/admin/keys        create a key for a project (or an admin key): the key is in this answer only
/// GET    /api/admin/keys        every key, without secrets
/// DELETE /api/admin/keys/{id}   revoke a key
/// Plus what every request goes through: API keys, projects, the open install's loopback rule, the rate limit.
/// </summary>
public static class AccessApi
{
    public const string AdminPolicy = "admin";

    public static IHostApplicationBuilder AddAccess(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AccessState>();
        builder.Services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            // Every endpoint needs a caller (the open install's caller too) unless it says otherwise.
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AdminPolicy, policy => policy.RequireClaim(ApiKeyAuthentication.AdminClaim, "true"));
        builder.Services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                // The limit is per key: an install without keys (local use, loopback only) has none to count.
                if (Callers.IsOpen(context.User)) return RateLimitPartition.GetNoLimiter("open");
                var perMinute = context.RequestServices.GetRequiredService<IOptions<LimitsOptions>>().Value.RequestsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(Callers.RateKeyOf(context), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = perMinute,
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                });
            });
            o.OnRejected = async (rejected, cancellationToken) =>
            {
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
                rejected.HttpContext.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                rejected.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString();
                await Results.Problem(statusCode: 429, title: "Too many requests.",
                    detail: $"This key may make {rejected.HttpContext.RequestServices.GetRequiredService<IOptions<LimitsOptions>>().Value.RequestsPerMinute} requests a minute (TrainService:Limits:RequestsPerMinute); try again in {retryAfter.TotalSeconds:0} s.")
                    .ExecuteAsync(rejected.HttpContext);
            };
        });
        builder.Services.AddHostedService<OpenInstallGuard>();
        return builder;
    }

    /// <summary>Authentication, the open install's loopback rule, the caller's project on the request's DbContext, the rate limit.</summary>
    public static WebApplication UseAccess(this WebApplication app)
    {
        app.UseAuthentication();
        app.Use(async (context, next) =>
        {
            if (Callers.IsOpen(context.User) && !Callers.IsLoopback(context.Connection.RemoteIpAddress))
            {
                await Results.Problem(statusCode: 403, title: "This service has no API keys and answers only on loopback.",
                    detail: "Create a key (docs/security.md) to serve other addresses.").ExecuteAsync(context);
                return;
            }
            if (Callers.ProjectOf(context.User) is { } project)
                context.RequestServices.GetRequiredService<TrainDbContext>().Project = project;
            await next();
        });
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }

    public static RouteGroupBuilder MapAccessApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/admin/keys").WithTags("Admin").RequireAuthorization(AdminPolicy);
        api.MapPost("/", Create).WithName("CreateApiKey").WithSummary("Create an API key (shown once)").ProducesValidationProblem();
        api.MapGet("/", List).WithName("ListApiKeys").WithSummary("Every API key, without secrets");
        api.MapDelete("/{id:guid}", Revoke).WithName("RevokeApiKey").WithSummary("Revoke an API key").ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public sealed record KeyRequest(
        [property: Description("The key's name, to tell keys apart.")] string? Name,
        [property: Description("The project the key reaches (letters, digits, '-', '_', '.'); omit with admin: true.")] string? Project,
        [property: Description("An admin key reaches every project and these endpoints.")] bool Admin = false);

    public sealed record KeyDetails(Guid Id, string Name, string? Project, bool Admin, string Prefix, DateTime CreatedAt, DateTime? RevokedAt);

    public sealed record KeyCreated(Guid Id, string Name, string? Project, bool Admin, string Prefix, DateTime CreatedAt,
        [property: Description("The key: shown in this answer only, never again.")] string Key);

    static KeyDetails Details(ApiKeyRecord k) => new(k.Id, k.Name, k.Project, k.Project is null, k.Prefix, k.CreatedAt, k.RevokedAt);

    public static async Task<Results<Created<KeyCreated>, ValidationProblem>> Create(
        KeyRequest request, TrainDbContext db, AccessState access, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 128)
            return Problems.Validation("/name", "name is required, up to 128 characters.");
        if (request.Admin && request.Project is not null) return Problems.Validation("/project", "An admin key reaches every project: leave project out.");
        if (!request.Admin && !ApiKeys.IsValidProject(request.Project))
            return Problems.Validation("/project", "project is required: letters, digits, '-', '_' or '.', up to 64 characters.");
        var (record, key) = await ApiKeys.CreateAsync(db, request.Name, request.Admin ? null : request.Project, clock.GetUtcNow().UtcDateTime, cancellationToken);
        access.KeysChanged();
        return TypedResults.Created($"/api/admin/keys/{record.Id}", new KeyCreated(record.Id, record.Name, record.Project, record.Project is null, record.Prefix, record.CreatedAt, key));
    }

    public static async Task<Ok<List<KeyDetails>>> List(TrainDbContext db, CancellationToken cancellationToken) =>
        TypedResults.Ok((await db.ApiKeys.AsNoTracking().OrderBy(k => k.CreatedAt).ToListAsync(cancellationToken)).Select(Details).ToList());

    public static async Task<Results<Ok<KeyDetails>, ProblemHttpResult>> Revoke(Guid id, TrainDbContext db, AccessState access, TimeProvider clock, CancellationToken cancellationToken)
    {
        var record = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (record is null) return Problems.NotFound("API key", id);
        record.RevokedAt ??= clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        access.KeysChanged();
        return TypedResults.Ok(Details(record));
    }
}

/// <summary>
/// An install without keys is for local use: it says so, and it refuses to serve addresses beyond
/// loopback (the request rule in <see cref="AccessApi.UseAccess"/> holds meanwhile).
/// </summary>
public sealed class OpenInstallGuard(IServer server, AccessState access, IHostApplicationLifetime lifetime, ILogger<OpenInstallGuard> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = CheckAsync());
        return Task.CompletedTask;
    }

    async Task CheckAsync()
    {
        if (await access.KeysRequiredAsync(CancellationToken.None)) return;
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var exposed = addresses.Where(a => !IsLoopbackAddress(a)).ToList();
        if (exposed.Count > 0)
        {
            logger.LogCritical("This service has no API keys, so it serves loopback only, but it was asked to listen on {Addresses}. "
                + "Configure TrainService:Access:AdminKey or create a key (dotnet run --project src/Api -- keys create ...), or listen on localhost. Stopping.",
                string.Join(", ", exposed));
            Environment.ExitCode = 1;
            lifetime.StopApplication();
            return;
        }
        logger.LogWarning("No API keys: the service is open for local use and answers on loopback only ({Addresses}). docs/security.md tells how to add keys.",
            string.Join(", ", addresses));
    }

    static bool IsLoopbackAddress(string address)
    {
        if (!Uri.TryCreate(address.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
