using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace TrainService.Engine.Datasets;

/// <summary>
/// Reads a CSV file with a header row (RFC 4180: commas, double-quoted fields, CRLF or LF) as one
/// array per column: int64 when every value is an integer, float64 when every value is a number.
/// </summary>
public static class CsvReader
{
    public static IReadOnlyList<ArrayInfo> Inspect(Stream stream, DatasetLimits limits)
    {
        var (names, integer, rows) = Scan(stream, limits);
        return names.Select((n, i) => Column(n, integer[i], rows)).ToList();
    }

    public static IReadOnlyDictionary<string, NdArray> Read(Stream stream, DatasetLimits limits, IReadOnlyCollection<string>? names = null)
    {
        var (columns, integer, rows) = Scan(stream, limits);
        stream.Position = 0;
        var wanted = columns.Select(c => names is null || names.Contains(c)).ToArray();
        var longs = columns.Select((_, i) => wanted[i] && integer[i] ? new long[rows] : null).ToArray();
        var doubles = columns.Select((_, i) => wanted[i] && !integer[i] ? new double[rows] : null).ToArray();
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var records = new RecordReader(reader, limits);
        var fields = new List<string>();
        records.Next(fields);
        for (int row = 0; records.Next(fields); row++)
            for (int c = 0; c < fields.Count; c++)
            {
                if (longs[c] is { } l) l[row] = long.Parse(fields[c], NumberStyles.Integer, CultureInfo.InvariantCulture);
                else if (doubles[c] is { } d) d[row] = double.Parse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        var arrays = new Dictionary<string, NdArray>();
        for (int c = 0; c < columns.Count; c++)
        {
            if (!wanted[c]) continue;
            var bytes = longs[c] is { } l ? MemoryMarshal.AsBytes(l.AsSpan()).ToArray() : MemoryMarshal.AsBytes(doubles[c].AsSpan()).ToArray();
            arrays[columns[c]] = new NdArray(Column(columns[c], integer[c], rows), bytes);
        }
        return arrays;
    }

    static ArrayInfo Column(string name, bool integer, long rows) =>
        new(name, integer ? ArrayDType.Int64 : ArrayDType.Float64, [rows]);

    /// <summary>One pass over the file: column names, which columns are all integers, and the row count.</summary>
    static (List<string> Names, bool[] Integer, int Rows) Scan(Stream stream, DatasetLimits limits)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        var records = new RecordReader(reader, limits);
        var names = new List<string>();
        if (!records.Next(names)) throw new DatasetFormatException("The CSV file is empty: it needs a header row naming its columns.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < names.Count; c++)
        {
            names[c] = names[c].Trim();
            if (!DatasetNames.IsValid(names[c]))
                throw new DatasetFormatException($"CSV column {c + 1} is named '{names[c]}': a column name is letters, digits, '_', '.' or '-' (the header row names the arrays).");
            if (!seen.Add(names[c])) throw new DatasetFormatException($"CSV column '{names[c]}' appears twice in the header row.");
        }
        var integer = Enumerable.Repeat(true, names.Count).ToArray();
        var fields = new List<string>();
        int rows = 0;
        while (records.Next(fields))
        {
            rows++;
            if (fields.Count != names.Count)
                throw new DatasetFormatException($"CSV line {records.Line}: {fields.Count} fields where the header has {names.Count}.");
            for (int c = 0; c < fields.Count; c++)
            {
                var value = fields[c] = fields[c].Trim();
                if (integer[c] && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)) continue;
                integer[c] = false;
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new DatasetFormatException($"CSV line {records.Line}, column '{names[c]}': '{value}' is not a number (every column becomes a numeric array).");
            }
        }
        if (rows == 0) throw new DatasetFormatException("The CSV file has a header row but no data rows.");
        return (names, integer, rows);
    }

    /// <summary>Splits a text stream into records; blank lines are skipped.</summary>
    sealed class RecordReader(TextReader reader, DatasetLimits limits)
    {
        readonly StringBuilder field = new();

        public int Line { get; private set; }

        public bool Next(List<string> fields)
        {
            while (true)
            {
                fields.Clear();
                int c = reader.Read();
                if (c < 0) return false;
                Line++;
                if (c == '\n') continue;
                if (c == '\r') { if (reader.Peek() == '\n') reader.Read(); continue; }
                ReadRecord(c, fields);
                return true;
            }
        }

        void ReadRecord(int c, List<string> fields)
        {
            bool quoted = false, wasQuoted = false;
            field.Clear();
            for (; ; c = reader.Read())
            {
                if (quoted)
                {
                    if (c < 0) throw new DatasetFormatException($"CSV line {Line}: a quoted field is not closed.");
                    if (c == '"')
                    {
                        if (reader.Peek() == '"') { reader.Read(); Append('"'); }
                        else quoted = false;
                    }
                    else
                    {
                        if (c == '\n') Line++;
                        Append((char)c);
                    }
                    continue;
                }
                switch (c)
                {
                    case '"' when field.Length == 0 && !wasQuoted:
                        quoted = wasQuoted = true;
                        break;
                    case ',':
                        EndField(fields);
                        wasQuoted = false;
                        break;
                    case '\r' or '\n' or -1:
                        if (c == '\r' && reader.Peek() == '\n') reader.Read();
                        EndField(fields);
                        return;
                    default:
                        Append((char)c);
                        break;
                }
            }
        }

        void Append(char c)
        {
            if (field.Length >= limits.MaxCsvFieldChars)
                throw new DatasetFormatException($"CSV line {Line}: a field is longer than {limits.MaxCsvFieldChars} characters.");
            field.Append(c);
        }

        void EndField(List<string> fields)
        {
            if (fields.Count >= limits.MaxCsvColumns)
                throw new DatasetFormatException($"CSV line {Line}: more than {limits.MaxCsvColumns} columns.");
            fields.Add(field.ToString());
            field.Clear();
        }
    }
}
