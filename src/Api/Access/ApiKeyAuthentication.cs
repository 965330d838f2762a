using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Access;

/// <summary>
/// Authenticates requests by API key: `Authorization: Bearer &lt;key&gt;` or `X-Api-Key`; on the hub's
/// path also the `access_token` query (browsers cannot set headers on WebSockets), and on the
/// Hangfire dashboard's path a cookie set from that query once. With no key on the install at all,
/// every request is the open (admin) caller, which <see cref="AccessApi"/> keeps to loopback.
/// </summary>
public sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AccessState access, IOptions<AccessOptions> accessOptions) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string ProjectClaim = "trainservice:project";
    public const string AdminClaim = "trainservice:admin";
    public const string OpenClaim = "trainservice:open";
    public const string KeyClaim = "trainservice:key";
    public const string HangfireCookie = "trainservice_hangfire_key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = KeyOf(Request);
        if (key is null)
        {
            if (await access.KeysRequiredAsync(Context.RequestAborted)) return AuthenticateResult.NoResult();
            return Success([new(AdminClaim, "true"), new(OpenClaim, "true"), new(KeyClaim, "open")]);
        }
        if (accessOptions.Value.AdminKey is { Length: > 0 } adminKey
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(adminKey)))
            return Success([new(AdminClaim, "true"), new(KeyClaim, "configured-admin")]);

        var hash = ApiKeys.Hash(key);
        var db = Context.RequestServices.GetRequiredService<TrainDbContext>();
        var record = await db.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, Context.RequestAborted);
        if (record is null) return AuthenticateResult.Fail("The API key is not valid, or it was revoked.");
        if (Request.Path.StartsWithSegments("/hangfire") && Request.Query.ContainsKey("access_token"))
            Response.Cookies.Append(HangfireCookie, key, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/hangfire", Secure = Request.IsHttps });
        return Success(record.Project is null
            ? [new(AdminClaim, "true"), new(KeyClaim, record.Id.ToString())]
            : [new(ProjectClaim, record.Project), new(KeyClaim, record.Id.ToString())]);
    }

    AuthenticateResult Success(Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));

    static string? KeyOf(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && header.ToString() is { Length: > 0 } value) return value.Trim();
        if ((request.Path.StartsWithSegments("/hubs") || request.Path.StartsWithSegments("/hangfire"))
            && request.Query.TryGetValue("access_token", out var token) && token.ToString() is { Length: > 0 } fromQuery)
            return fromQuery;
        if (request.Path.StartsWithSegments("/hangfire") && request.Cookies.TryGetValue(HangfireCookie, out var cookie)) return cookie;
        return null;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        await Results.Problem(statusCode: 401, title: "An API key is needed.",
            detail: failure ?? "Send it as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>' (docs/security.md).").ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Results.Problem(statusCode: 403, title: "This key may not do that.", detail: "Only admin keys manage keys and see the queue's dashboard.").ExecuteAsync(Context);
    }
}

public static class Callers
{
    /// <summary>The project a caller is kept to; null for admin keys and the open install (every project).</summary>
    public static string? ProjectOf(ClaimsPrincipal user) => user.FindFirst(ApiKeyAuthentication.ProjectClaim)?.Value;

    public static bool IsAdmin(ClaimsPrincipal user) => user.HasClaim(ApiKeyAuthentication.AdminClaim, "true");

    public static bool IsOpen(ClaimsPrincipal user) => user.HasClaim(ApiKeyAuthentication.OpenClaim, "true");

    /// <summary>What the rate limit counts against: the key (the client's address for a caller without one).</summary>
    public static string RateKeyOf(HttpContext context) =>
        context.User.FindFirst(ApiKeyAuthentication.KeyClaim)?.Value is { } key && key != "open"
            ? key
            : context.Connection.RemoteIpAddress?.ToString() ?? "local";

    public static bool IsLoopback(IPAddress? address) => address is null || IPAddress.IsLoopback(address);
}
