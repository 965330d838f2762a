using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TrainService.Engine.Graph;

/// <summary>
/// Reads the graph wire format into a <see cref="GraphSpec"/>, reporting every structural problem
/// with the JSON pointer of the field. Semantic checks (types, references, shapes) come later in
/// <see cref="GraphBuilder"/>.
/// </summary>
public static partial class GraphSpecParser
{
    /// <summary>Deepest nesting of JSON accepted; guards the recursive readers against hostile input.</summary>
    public const int MaxDepth = 64;

    static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false };

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public static GraphSpec? Parse(string json, DiagnosticBag diagnostics)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, NodeOptions, DocumentOptions).EnsureText();
        }
        catch (JsonException e)
        {
            diagnostics.Error("", $"The graph is not valid JSON: {e.Message}");
            return null;
        }
        return Parse(node, diagnostics);
    }

    public static GraphSpec? Parse(JsonNode? json, DiagnosticBag diagnostics, string pointer = "")
    {
        if (json is not JsonObject root)
        {
            diagnostics.Error(pointer, "A graph is a JSON object with inputs, nodes and outputs.");
            return null;
        }
        int errorsBefore = diagnostics.ErrorCount;

        foreach (var (key, _) in root)
            if (key is not ("name" or "inputs" or "nodes" or "outputs" or "description"))
                diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown key '{key}'. A graph has name, inputs, nodes and outputs.");

        var name = "model";
        if (root["name"] is JsonNode nameNode)
        {
            if (ReadString(nameNode, JsonPointer.Append(pointer, "name"), diagnostics) is string n)
            {
                if (!IsValidName(n)) diagnostics.Error(JsonPointer.Append(pointer, "name"), NameRule(n));
                name = n;
            }
        }

        var inputs = new List<InputSpec>();
        var inputsPointer = JsonPointer.Append(pointer, "inputs");
        if (root["inputs"] is not JsonArray inputArray)
            diagnostics.Error(inputsPointer, "inputs is required: a list of {name, shape, dtype}.");
        else if (inputArray.Count == 0)
            diagnostics.Error(inputsPointer, "A graph needs at least one input.");
        else
            for (int i = 0; i < inputArray.Count; i++)
                if (ParseInput(inputArray[i], JsonPointer.Append(inputsPointer, i), diagnostics) is InputSpec input)
                    inputs.Add(input);

        var nodes = new List<NodeSpec>();
        var nodesPointer = JsonPointer.Append(pointer, "nodes");
        if (root["nodes"] is JsonNode nodesNode)
        {
            if (nodesNode is not JsonArray nodeArray)
                diagnostics.Error(nodesPointer, "nodes must be a list of layer calls.");
            else
                for (int i = 0; i < nodeArray.Count; i++)
                    if (ParseNode(nodeArray[i], JsonPointer.Append(nodesPointer, i), diagnostics) is NodeSpec spec)
                        nodes.Add(spec);
        }

        var outputs = new List<string>();
        var outputsPointer = JsonPointer.Append(pointer, "outputs");
        switch (root["outputs"])
        {
            case JsonArray outputArray when outputArray.Count > 0:
                for (int i = 0; i < outputArray.Count; i++)
                    if (ReadString(outputArray[i], JsonPointer.Append(outputsPointer, i), diagnostics) is string o)
                        outputs.Add(o);
                break;
            case JsonValue v when v.TryGetText(out var single):
                outputs.Add(single);
                break;
            case JsonArray:
                diagnostics.Error(outputsPointer, "A graph needs at least one output.");
                break;
            default:
                diagnostics.Error(outputsPointer, "outputs is required: a list of tensor references (node names).");
                break;
        }

        return diagnostics.ErrorCount > errorsBefore ? null : new GraphSpec(name, inputs, nodes, outputs);
    }

    static InputSpec? ParseInput(JsonNode? json, string pointer, DiagnosticBag diagnostics)
    {
        if (json is not JsonObject input)
        {
            diagnostics.Error(pointer, "An input is an object {name, shape, dtype}.");
            return null;
        }
        int errorsBefore = diagnostics.ErrorCount;
        foreach (var (key, _) in input)
            if (key is not ("name" or "shape" or "dtype"))
                diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown key '{key}'. An input has name, shape and dtype.");

        var name = ReadRequiredName(input, pointer, diagnostics, "input");

        var shape = new List<int?>();
        var shapePointer = JsonPointer.Append(pointer, "shape");
        if (input["shape"] is not JsonArray shapeArray)
            diagnostics.Error(shapePointer, "shape is required: the sizes of one sample, without the batch axis, null for a free size (keras.Input(shape=...)).");
        else
            for (int i = 0; i < shapeArray.Count; i++)
            {
                var dim = shapeArray[i];
                if (dim is null) shape.Add(null);
                else if (dim is JsonValue v && v.TryGetValue<int>(out var size) && size > 0) shape.Add(size);
                else diagnostics.Error(JsonPointer.Append(shapePointer, i), $"A size is a positive integer or null, not {dim.ToJsonString()}.");
            }

        var dtype = DType.Float32;
        if (input["dtype"] is JsonNode dtypeNode)
        {
            var text = ReadString(dtypeNode, JsonPointer.Append(pointer, "dtype"), diagnostics);
            if (text is not null && !DTypes.TryParse(text, out dtype))
                diagnostics.Error(JsonPointer.Append(pointer, "dtype"), $"dtype must be float32, int32 or int64, not '{text}'.");
        }

        return diagnostics.ErrorCount > errorsBefore || name is null ? null : new InputSpec(name, shape, dtype);
    }

    static NodeSpec? ParseNode(JsonNode? json, string pointer, DiagnosticBag diagnostics)
    {
        if (json is not JsonObject node)
        {
            diagnostics.Error(pointer, "A node is an object {name, type, config, inputs} or {name, share, inputs}.");
            return null;
        }
        int errorsBefore = diagnostics.ErrorCount;
        foreach (var (key, _) in node)
            if (key is not ("name" or "type" or "config" or "inputs" or "share"))
                diagnostics.Error(JsonPointer.Append(pointer, key), $"Unknown key '{key}'. A node has name, type, config and inputs, or name, share and inputs.");

        var name = ReadRequiredName(node, pointer, diagnostics, "node");
        string? type = node["type"] is JsonNode t ? ReadString(t, JsonPointer.Append(pointer, "type"), diagnostics) : null;
        string? share = node["share"] is JsonNode s ? ReadString(s, JsonPointer.Append(pointer, "share"), diagnostics) : null;

        JsonObject? config = null;
        if (node["config"] is JsonNode c)
        {
            if (c is JsonObject obj) config = obj;
            else diagnostics.Error(JsonPointer.Append(pointer, "config"), "config must be an object of the layer's Keras config keys.");
        }

        if (share is not null && (type is not null || config is not null))
            diagnostics.Error(pointer, $"Node '{name}' both defines a layer (type/config) and shares one (share): use one or the other.", name);
        else if (share is null && type is null && node["type"] is null && node["share"] is null)
            diagnostics.Error(JsonPointer.Append(pointer, "type"), $"Node '{name}' needs a type (a new layer) or share (the name of the node whose layer it calls again).", name);

        var inputs = new List<string>();
        var inputsPointer = JsonPointer.Append(pointer, "inputs");
        switch (node["inputs"])
        {
            case JsonArray array when array.Count > 0:
                for (int i = 0; i < array.Count; i++)
                    if (ReadString(array[i], JsonPointer.Append(inputsPointer, i), diagnostics) is string reference)
                        inputs.Add(reference);
                break;
            case JsonValue v when v.TryGetText(out var single):
                inputs.Add(single);
                break;
            default:
                diagnostics.Error(inputsPointer, $"Node '{name}' needs inputs: a list of tensor references (input or node names, or 'name:k').", name);
                break;
        }

        return diagnostics.ErrorCount > errorsBefore || name is null ? null : new NodeSpec(name, type, config, inputs, share);
    }

    static string? ReadRequiredName(JsonObject json, string pointer, DiagnosticBag diagnostics, string what)
    {
        var namePointer = JsonPointer.Append(pointer, "name");
        if (json["name"] is not JsonNode nameNode)
        {
            diagnostics.Error(namePointer, $"Every {what} needs a name.");
            return null;
        }
        var name = ReadString(nameNode, namePointer, diagnostics);
        if (name is not null && !IsValidName(name))
        {
            diagnostics.Error(namePointer, NameRule(name));
            return null;
        }
        return name;
    }

    static string NameRule(string name) =>
        $"'{name}' is not a valid name: use 1 to 128 letters, digits, '_', '-' or '.', not starting with '-' or '.'.";

    static string? ReadString(JsonNode? node, string pointer, DiagnosticBag diagnostics)
    {
        if (node is JsonValue v && v.TryGetText(out var s)) return s;
        diagnostics.Error(pointer, $"Expected a string, not {node?.ToJsonString() ?? "null"}.");
        return null;
    }
}
