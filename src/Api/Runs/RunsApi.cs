namespace TrainService.Api.Runs;

public static class RunsApi
{
    public static RouteGroupBuilder MapRunsApi(this IEndpointRouteBuilder routes) => routes.MapGroup("/api/runs").WithTags("Runs");
}
