using TrainService.Jobs.Hosting;

// A standalone worker node: same database and data folder as the API, no HTTP.
var builder = Host.CreateApplicationBuilder(args);
builder.AddTrainServiceCore();
builder.AddTrainWorker();
builder.Build().Run();
