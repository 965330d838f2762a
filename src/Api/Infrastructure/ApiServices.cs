using System.Text.Json.Serialization;
using Hangfire;
using Hangfire.Dashboard;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Infrastructure;

public static class ApiServices
{
    public static IHostApplicationBuilder AddApiServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
            // A diverged loss is NaN: written "NaN" as Keras's JSON logs do, rather than failing the response.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "TrainService";
            document.Info.Description = "Train Keras-style functional models: upload datasets and graphs, queue training runs, follow their metrics, predict.";
            return Task.CompletedTask;
        }));
        // Kestrel's own ceiling sits above the upload limit; the handlers enforce the exact limits
        // (and answer 413 with a ProblemDetails).
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<StorageOptions>>((kestrel, storage) =>
            kestrel.Limits.MaxRequestBodySize = storage.Value.MaxUploadBytes + (1 << 20));
        builder.Services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = long.MaxValue);
        return builder;
    }

    public static WebApplication UseApiErrors(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>The web dashboard (src/Dashboard, built into the content root's dashboard/ folder) at /: index.html and its assets.</summary>
    public static WebApplication UseWebDashboard(this WebApplication app)
    {
        var folder = Path.Combine(app.Environment.ContentRootPath, "dashboard");
        if (!Directory.Exists(folder))
        {
            app.Logger.LogWarning("No dashboard at {Folder}: build src/Api (it runs npm in src/Dashboard) to serve it.", folder);
            return app;
        }
        var files = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(folder);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        return app;
    }

    /// <summary>
    /// Hangfire's dashboard at /hangfire, for admin keys only (open it once as
    /// /hangfire?access_token=KEY: the key is then kept in an HttpOnly cookie for that path).
    /// </summary>
    public static WebApplication MapHangfireDashboard(this WebApplication app)
    {
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new AdminDashboardAuthorization()],
            DisplayStorageConnectionString = false,
        }, app.Services.GetRequiredService<JobStorage>()).RequireAuthorization(Access.AccessApi.AdminPolicy);
        return app;
    }

    sealed class AdminDashboardAuthorization : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context) => Access.Callers.IsAdmin(context.GetHttpContext().User);
    }
}
