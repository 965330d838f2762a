namespace TrainService.Api.Datasets;

public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder routes) => routes.MapGroup("/api/datasets").WithTags("Datasets");
}
