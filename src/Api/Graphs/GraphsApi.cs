using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TrainService.Api.Infrastructure;
using TrainService.Engine.Graph;
using TrainService.Engine.Summary;
using TrainService.Jobs.Data;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Graphs;

/// <summary>
/// POST /api/graphs/summary   validate a graph and summarise it (nothing stored)
/// POST /api/graphs           store a validated graph
/// GET  /api/graphs           list stored graphs, newest first
/// GET  /api/graphs/{id}      a stored graph and its summary
/// GET  /api/graphs/schema    the graph format's JSON Schema
/// (Keras import and the graph's predict: <see cref="GraphImportApi"/>)
/// </summary>
public static class GraphsApi
{
    public static RouteGroupBuilder MapGraphsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/graphs").WithTags("Graphs");

        api.MapPost("/summary", Summarize)
            .WithName("SummarizeGraph")
            .WithSummary("Validate a graph and return its Keras summary")
            .WithDescription("Returns Keras's model.summary(): layers in Keras's order with output shapes, parameter counts and connections, the totals, warnings and the printed table. A graph with errors gets 400 with every error keyed by the JSON pointer of its field.")
            .Accepts<GraphDocument>("application/json")
            .ProducesJsonBodyProblems();
        api.MapPost("/", Create)
            .WithName("CreateGraph")
            .WithSummary("Store a validated graph")
            .Accepts<GraphDocument>("application/json")
            .ProducesJsonBodyProblems();
        api.MapGet("/", List).WithName("ListGraphs").WithSummary("List stored graphs, newest first");
        api.MapGet("/{id:guid}", Get).WithName("GetGraph").WithSummary("A stored graph with its summary").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/schema", () => TypedResults.Text(GraphFormat.SchemaJson, GraphFormat.SchemaMediaType))
            .WithName("GetGraphSchema")
            .WithSummary("The graph format's JSON Schema (draft 2020-12)")
            .Produces(StatusCodes.Status200OK, contentType: GraphFormat.SchemaMediaType);
        api.MapGraphImportApi();
        return api;
    }

    /// <summary>Validates the graph at <paramref name="pointer"/>; on errors, diagnostics hold them all.</summary>
    public static ModelGraph? Validate(JsonNode? json, DiagnosticBag diagnostics, LimitsOptions limits, string pointer = "") =>
        GraphBuilder.TryBuild(json, diagnostics, pointer, limits.Graph);

    public static async Task<Results<Ok<ModelSummary>, ValidationProblem, ProblemHttpResult>> Summarize(HttpRequest request, IOptions<LimitsOptions> limits, CancellationToken cancellationToken)
    {
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        var diagnostics = new DiagnosticBag();
        var graph = Validate(json, diagnostics, limits.Value);
        if (graph is null) return Problems.Validation(diagnostics.Errors, "The graph is not valid.");
        return TypedResults.Ok(ModelSummary.Of(graph));
    }

    public static async Task<Results<Created<GraphCreated>, ValidationProblem, ProblemHttpResult>> Create(
        HttpRequest request, TrainDbContext db, IOptions<LimitsOptions> limits, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (json, problem) = await JsonBody.ReadAsync(request, cancellationToken);
        if (problem is not null) return problem;
        var diagnostics = new DiagnosticBag();
        var graph = Validate(json, diagnostics, limits.Value);
        if (graph is null) return Problems.Validation(diagnostics.Errors, "The graph is not valid.");
        var record = Store(db, graph, clock);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/graphs/{record.Id}", new GraphCreated(record.Id, record.Name, ModelSummary.Of(graph)));
    }

    /// <summary>Adds a graph record (saved with the caller's other changes).</summary>
    public static GraphRecord Store(TrainDbContext db, ModelGraph graph, TimeProvider clock)
    {
        var record = new GraphRecord
        {
            Id = Guid.CreateVersion7(),
            Name = graph.Name,
            Spec = graph.Spec.ToJson().ToJsonString(),
            TotalParams = graph.TotalParams,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.Graphs.Add(record);
        return record;
    }

    public static async Task<Ok<List<GraphListItem>>> List(TrainDbContext db, CancellationToken cancellationToken)
    {
        var graphs = await db.Graphs.AsNoTracking().OrderByDescending(g => g.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(graphs.Select(g => g.AsListItem()).ToList());
    }

    public static async Task<Results<Ok<GraphDetails>, ProblemHttpResult>> Get(Guid id, TrainDbContext db, CancellationToken cancellationToken)
    {
        var record = await db.Graphs.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
        if (record is null) return Problems.NotFound("graph", id);
        var graph = GraphBuilder.Build(record.Spec);
        return TypedResults.Ok(new GraphDetails(record.Id, record.Name, JsonNode.Parse(record.Spec)!, ModelSummary.Of(graph), record.CreatedAt));
    }
}
