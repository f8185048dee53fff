using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SlateDb.Admin.Cli.Output;

/// <summary>Prints results as aligned text tables or as indented JSON.</summary>
internal static class Renderer
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true };

    public static async Task WriteJsonAsync(TextWriter output, JsonNode json)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteTo(writer);
        }

        await output.WriteLineAsync(Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
    }

    public static async Task WriteTableAsync(TextWriter output, Table table)
    {
        var widths = table.Headers.Select(h => h.Length).ToArray();
        foreach (var row in table.Rows)
        {
            for (var i = 0; i < row.Length && i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        await output.WriteLineAsync(Line(table.Headers, widths)).ConfigureAwait(false);
        await output.WriteLineAsync(string.Join("  ", widths.Select(w => new string('-', w)))).ConfigureAwait(false);
        foreach (var row in table.Rows)
        {
            await output.WriteLineAsync(Line(row, widths)).ConfigureAwait(false);
        }

        if (table.Rows.Count == 0)
        {
            await output.WriteLineAsync("(none)").ConfigureAwait(false);
        }
    }

    /// <summary>The text of a cell: invariant numbers, ISO-8601 times, "-" for null.</summary>
    public static string Text(object? value) => value switch
    {
        null => "-",
        DateTimeOffset t => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "-",
    };

    /// <summary>UTF-8 bytes as text (keys and values are UTF-8 on the command line).</summary>
    public static string Utf8(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static string Line(IReadOnlyList<string> cells, int[] widths)
    {
        var text = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                text.Append("  ");
            }

            text.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i]));
        }

        return text.ToString();
    }
}
