using System.Text;
using System.Text.Json.Nodes;

namespace TrainService.Engine.Tests.Fuzz;

/// <summary>
/// Mutations of valid inputs into the broken ones users, bugs and attackers send: bytes flipped,
/// cut, repeated, set to boundary values, files spliced; JSON with keys dropped, renamed or retyped,
/// values huge, negative, empty or deeply nested, arrays duplicated or reordered.
/// </summary>
public sealed class Mutator(Random random)
{
    static readonly byte[][] Interesting =
    [
        [0], [0xFF], [0x7F], [0x80], [0xFF, 0xFF, 0xFF, 0x7F], [0xFF, 0xFF, 0xFF, 0xFF], [0, 0, 0, 0x80],
        [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "../"u8.ToArray(), "\0"u8.ToArray(), "'<f8'"u8.ToArray(), "(99999999999, 99999999999)"u8.ToArray(),
    ];

    public byte[] Bytes(byte[] input, IReadOnlyList<byte[]> corpus, int rounds)
    {
        var data = new List<byte>(input);
        for (int r = 0; r < rounds; r++)
        {
            int at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0 when data.Count > 0: data[at] ^= (byte)(1 << random.Next(8)); break;
                case 1 when data.Count > 0: data[at] = (byte)random.Next(256); break;
                case 2: data.InsertRange(at, Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256))); break;
                case 3 when data.Count > 0: data.RemoveRange(at, Math.Min(data.Count - at, random.Next(1, 64))); break;
                case 4 when data.Count > 0: data.RemoveRange(at, data.Count - at); break; // truncated
                case 5 when data.Count > 0:
                    var length = Math.Min(data.Count - at, random.Next(1, 64));
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 6:
                    var value = Interesting[random.Next(Interesting.Length)];
                    for (int i = 0; i < value.Length && at + i < data.Count; i++) data[at + i] = value[i];
                    break;
                default:
                    if (corpus.Count == 0) break;
                    var other = corpus[random.Next(corpus.Count)];
                    if (other.Length > 0 && data.Count > 0)
                    {
                        int from = random.Next(other.Length);
                        data.RemoveRange(at, data.Count - at);
                        data.AddRange(other.Skip(from));
                    }
                    break;
            }
        }
        return data.ToArray();
    }

    public string Json(string input, int rounds)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(input);
        }
        catch (System.Text.Json.JsonException)
        {
            return Encoding.UTF8.GetString(Bytes(Encoding.UTF8.GetBytes(input), [], rounds));
        }
        for (int r = 0; r < rounds && root is not null; r++)
        {
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            var target = nodes[random.Next(nodes.Count)];
            var parent = target.Parent;
            switch (random.Next(7))
            {
                case 0 when parent is JsonObject o: o.Remove(target.GetPropertyName()); break;
                case 1 when parent is JsonArray a: a.Insert(random.Next(a.Count + 1), target.DeepClone()); break;
                case 2 when parent is JsonArray a && a.Count > 1:
                    int i = random.Next(a.Count), j = random.Next(a.Count);
                    var first = a[i]?.DeepClone();
                    a[i] = a[j]?.DeepClone();
                    a[j] = first;
                    break;
                case 3 when parent is JsonObject o:
                    var name = target.GetPropertyName();
                    o.Remove(name);
                    o[name + (random.Next(2) == 0 ? "_" : "")] = target.DeepClone();
                    break;
                default:
                    var replacement = Value();
                    if (parent is JsonObject po) po[target.GetPropertyName()] = replacement;
                    else if (parent is JsonArray pa) pa[target.GetElementIndex()] = replacement;
                    else root = replacement;
                    break;
            }
        }
        var text = root?.ToJsonString() ?? "null";
        // Now and then the text itself is broken too.
        return random.Next(8) == 0 ? Encoding.UTF8.GetString(Bytes(Encoding.UTF8.GetBytes(text), [], 1)) : text;
    }

    JsonNode? Value() => random.Next(16) switch
    {
        0 => null,
        1 => JsonValue.Create(true),
        2 => JsonValue.Create(-1),
        3 => JsonValue.Create(0),
        4 => JsonValue.Create(1e308),
        5 => JsonValue.Create(2147483648L),
        6 => JsonValue.Create(long.MaxValue),
        7 => JsonValue.Create(-0.5),
        8 => JsonValue.Create(""),
        9 => JsonValue.Create(new string('x', random.Next(1, 5000))),
        10 => JsonValue.Create("../../etc/passwd"),
        11 => JsonValue.Create("ü\u0000\ud83d\ude00名"),
        12 => new JsonArray(),
        13 => new JsonObject(),
        14 => Nested(random.Next(1, 120)),
        _ => new JsonArray(JsonValue.Create(random.Next(-3, 100000)), JsonValue.Create(random.Next(-3, 100000))),
    };

    static JsonNode Nested(int depth)
    {
        JsonNode node = new JsonArray();
        for (int i = 0; i < depth; i++) node = new JsonArray(node);
        return node;
    }

    static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        if (node is JsonObject o) foreach (var (_, child) in o) { if (child is not null) Collect(child, into); }
        if (node is JsonArray a) foreach (var child in a) { if (child is not null) Collect(child, into); }
    }
}
