using Microsoft.AspNetCore.Http.HttpResults;
using TrainService.Engine.Graph;

namespace TrainService.Api.Infrastructure;

/// <summary>The service's error answers, all ProblemDetails; field errors are keyed by the JSON pointer of the field.</summary>
public static class Problems
{
    public static ValidationProblem Validation(IEnumerable<GraphDiagnostic> errors, string title = "The request is not valid.") =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Pointer).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: title);

    public static ValidationProblem Validation(string pointer, string message, string title = "The request is not valid.") =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [pointer] = [message] }, title: title);

    /// <summary>A field error as a plain ProblemHttpResult (for helpers whose other answers are 413 or 415).</summary>
    public static ProblemHttpResult FieldProblem(string pointer, string message) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [pointer] = [message] })
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request is not valid.",
        });

    public static ProblemHttpResult NotFound(string what, Guid id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No {what} {id}.");

    public static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);

    public static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.",
            detail: $"At most {limit} bytes are accepted (TrainService:MaxUploadBytes / MaxJsonBytes).");

    public static ProblemHttpResult UnsupportedMediaType(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.", detail: detail);
}

public static class ProblemMetadata
{
    /// <summary>The answers of an endpoint that reads a JSON body: 400 by field, 413 past the size limit, 415 for a body that is not JSON.</summary>
    public static RouteHandlerBuilder ProducesJsonBodyProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}
