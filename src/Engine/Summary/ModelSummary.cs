using System.Globalization;
using System.Text;
using TrainService.Engine.Graph;

namespace TrainService.Engine.Summary;

/// <summary>One row of a model summary: a layer (or InputLayer) as Keras's model.summary() lists it.</summary>
public sealed record SummaryRow(
    string Name,
    string Type,
    string OutputShape,
    long Params,
    long TrainableParams,
    IReadOnlyList<string> ConnectedTo);

/// <summary>The Keras-style summary of a model: rows, totals, warnings and the printed table.</summary>
public sealed record ModelSummary(
    string Name,
    long TotalParams,
    long TrainableParams,
    long NonTrainableParams,
    IReadOnlyList<SummaryRow> Layers,
    IReadOnlyList<GraphDiagnostic> Warnings,
    string Text)
{
    public static ModelSummary Of(ModelGraph graph)
    {
        var rows = graph.Entries.Select(Row).ToList();
        return new ModelSummary(graph.Name, graph.TotalParams, graph.TrainableParams, graph.NonTrainableParams,
            rows, graph.Warnings, SummaryText.Format(graph, rows));
    }

    static SummaryRow Row(ModelEntry entry)
    {
        if (entry.Input is GraphInput input)
            return new SummaryRow(input.Name, "InputLayer", $"[{input.Info.Shape}]", 0, 0, []);
        var layer = entry.Layer!;
        var calls = layer.Calls.Where(c => c.IsLive).ToList();
        var shapes = calls.Select(c => FormatOutputs(c.Outputs)).Distinct().ToList();
        var connected = calls.SelectMany(c => c.Inputs.Select(s => s.KerasHistory)).ToList();
        return new SummaryRow(layer.Name, layer.Layer.KerasClassName, shapes.Count == 1 ? shapes[0] : "multiple",
            layer.Params, layer.TrainableParams, connected);
    }

    static string FormatOutputs(IReadOnlyList<TensorInfo> outputs) =>
        outputs.Count == 1 ? outputs[0].Shape.ToString() : "[" + string.Join(", ", outputs.Select(o => o.Shape)) + "]";
}

/// <summary>
/// Keras 2's printed summary (tf.keras up to 2.6, the chapter's format): 65 columns and three
/// fields for sequential-like models, 98 columns with "Connected to" otherwise.
/// </summary>
public static class SummaryText
{
    public static string Format(ModelGraph graph, IReadOnlyList<SummaryRow> rows)
    {
        bool sequential = IsSequentialLike(graph);
        int lineLength = sequential ? 65 : 98;
        int[] positions = sequential
            ? [(int)(65 * .45), (int)(65 * .85), 65]
            : [(int)(98 * .33), (int)(98 * .55), (int)(98 * .67), 98];
        string[] header = sequential
            ? ["Layer (type)", "Output Shape", "Param #"]
            : ["Layer (type)", "Output Shape", "Param #", "Connected to"];

        var text = new StringBuilder();
        text.Append("Model: \"").Append(graph.Name).Append("\"\n");
        text.Append('_', lineLength).Append('\n');
        Row(text, header, positions);
        text.Append('=', lineLength).Append('\n');
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var first = row.ConnectedTo.Count > 0 ? row.ConnectedTo[0] : "";
            var fields = new List<string> { $"{row.Name} ({row.Type})", row.OutputShape, row.Params.ToString(CultureInfo.InvariantCulture) };
            if (!sequential) fields.Add(first);
            Row(text, fields, positions);
            if (!sequential)
                for (int c = 1; c < row.ConnectedTo.Count; c++)
                    Row(text, ["", "", "", row.ConnectedTo[c]], positions);
            text.Append(i == rows.Count - 1 ? '=' : '_', lineLength).Append('\n');
        }
        text.Append("Total params: ").Append(graph.TotalParams.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("Trainable params: ").Append(graph.TrainableParams.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("Non-trainable params: ").Append(graph.NonTrainableParams.ToString("N0", CultureInfo.InvariantCulture)).Append('\n');
        text.Append('_', lineLength).Append('\n');
        return text.ToString();
    }

    // Keras's print_row: each field is cut to its column, the previous column's last character replaced by a space.
    static void Row(StringBuilder text, IReadOnlyList<string> fields, int[] positions)
    {
        var line = new StringBuilder();
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) line.Length--;
            if (i > 0) line.Append(' ');
            line.Append(fields[i]);
            if (line.Length > positions[i]) line.Length = positions[i];
            line.Append(' ', positions[i] - line.Length);
        }
        text.Append(line.ToString().TrimEnd()).Append('\n');
    }

    /// <summary>Keras's test: one node per depth, each with a single input, and no layer called twice.</summary>
    public static bool IsSequentialLike(ModelGraph graph)
    {
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1) return false;
        var live = graph.ExecutionOrder;
        if (live.Any(n => n.Inputs.Count > 1 || n.Outputs.Count > 1)) return false;
        if (live.GroupBy(n => n.Depth).Any(g => g.Count() > 1)) return false;
        return live.GroupBy(n => n.Layer).All(g => g.Count() == 1);
    }
}
