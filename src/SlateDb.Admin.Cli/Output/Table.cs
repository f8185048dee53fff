namespace SlateDb.Admin.Cli.Output;

/// <summary>A human-readable result: a header and rows of text cells (one row of key/value pairs for single objects).</summary>
internal sealed class Table(params string[] headers)
{
    public IReadOnlyList<string> Headers { get; } = headers;

    public List<string[]> Rows { get; } = [];

    /// <summary>A two-column table of fields and values.</summary>
    public static Table Fields(params (string Name, object? Value)[] fields)
    {
        var table = new Table("field", "value");
        foreach (var (name, value) in fields)
        {
            table.Add(name, Renderer.Text(value));
        }

        return table;
    }

    public Table Add(params string[] cells)
    {
        Rows.Add(cells);
        return this;
    }
}
