var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "TrainService");
app.Run();

public partial class Program;
