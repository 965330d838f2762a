using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TrainService.Engine;
using TrainService.Engine.Graph;
using TrainService.Jobs.Hosting;

namespace TrainService.Api.Infrastructure;

/// <summary>
/// Reads a JSON request body as a tree, bounded by TrainService:MaxJsonBytes, so that a handler
/// can report every problem with a JSON pointer (model binding would stop at the first).
/// </summary>
public static class JsonBody
{
    static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = GraphSpecParser.MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false };

    public static async Task<(JsonNode? Json, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = request.HttpContext.RequestServices.GetRequiredService<IOptions<StorageOptions>>().Value.MaxJsonBytes;
        if (request.ContentLength > limit) return (null, Problems.TooLarge(limit));
        if (request.ContentType is { } type && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedMediaType($"The body is JSON (application/json), not {type}."));
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return (null, Problems.TooLarge(limit));
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) return (null, Problems.FieldProblem("", "The request needs a JSON body."));
        try
        {
            return (JsonNode.Parse(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), documentOptions: DocumentOptions).EnsureText(), null);
        }
        catch (JsonException e)
        {
            return (null, Problems.FieldProblem("", $"The body is not valid JSON: {e.Message}"));
        }
    }

    /// <summary>The object at <paramref name="pointer"/>'s key, or an error naming it.</summary>
    public static JsonObject? Object(JsonNode? node, string pointer, DiagnosticBag diagnostics, bool required = true)
    {
        if (node is JsonObject o) return o;
        if (node is not null || required) diagnostics.Error(pointer, node is null ? "Required." : "Expected an object.");
        return null;
    }
}
