using TrainService.Jobs.Hosting;
using TrainService.Jobs.Telemetry;

// A standalone worker node: same database and data folder as the API, no HTTP. Settings come from
// the environment (ConnectionStrings__Postgres, TrainService__DataDir, TrainService__Worker__...),
// see docs/service.md.
var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
builder.AddTrainServiceCore();
builder.AddTrainWorker();
builder.AddWorkerTelemetry();
builder.Build().Run();
