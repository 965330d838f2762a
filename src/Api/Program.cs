using Scalar.AspNetCore;
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

var app = builder.Build();

app.UseApiErrors();
app.UseWebDashboard();
app.MapOpenApi();
app.MapScalarApiReference();
app.MapHangfireDashboard();

app.MapGraphsApi();
app.MapDatasetsApi();
app.MapRunsApi();
app.MapLiveApi();

app.Run();

public partial class Program;
