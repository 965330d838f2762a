using Scalar.AspNetCore;
using TrainService.Api.Access;
using TrainService.Api.Datasets;
using TrainService.Api.Graphs;
using TrainService.Api.Infrastructure;
using TrainService.Api.Live;
using TrainService.Api.Runs;
using TrainService.Jobs.Hosting;

var builder = WebApplication.CreateBuilder(args);

// Database, blob store and queue (PostgreSQL or the embedded default), and the in-process worker.
builder.AddTrainServiceCore();
builder.AddTrainWorker();

// HTTP: ProblemDetails, JSON, request limits, OpenAPI.
builder.AddApiServices();

// Live metrics: SignalR hub, run streams, and the relay of workers' events.
builder.AddLiveMetrics();

// API keys and projects, the open install's loopback rule, the rate limit.
builder.AddAccess();

// Health endpoints, OpenTelemetry metrics (Prometheus) and traces.
builder.AddObservability();

var app = builder.Build();

// `-- keys create ...`: manage API keys from the command line, without serving.
if (KeysCommand.IsCommand(args)) return await KeysCommand.RunAsync(app, args);

app.UseApiErrors();
app.UseWebDashboard();
app.UseAccess();
app.MapOpenApi().AllowAnonymous();
app.MapScalarApiReference().AllowAnonymous();
app.MapHangfireDashboard();
app.MapAccessApi();
app.MapObservability();

app.MapGraphsApi();
app.MapDatasetsApi();
app.MapRunsApi();
app.MapLiveApi();

app.Run();
return Environment.ExitCode;

public partial class Program;
