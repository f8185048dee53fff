using System.CommandLine;

namespace SlateDb.Admin.Cli;

/// <summary>The options every command takes: where the database is and how to print.</summary>
internal sealed class GlobalOptions
{
    public Option<string> Store { get; } = new("--store")
    {
        Description = "The main object store URI: file:///var/data, s3://bucket/prefix?endpoint=...&region=..., az://container/prefix, memory://",
        Required = true,
        Recursive = true,
    };

    public Option<string?> WalStore { get; } = new("--wal-store")
    {
        Description = "The WAL object store URI when the database keeps its WAL separately",
        Recursive = true,
    };

    public Option<string> Path { get; } = new("--path")
    {
        Description = "The database path inside the store (e.g. orders)",
        Required = true,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Print JSON (camelCase names) instead of a table",
        Recursive = true,
    };

    public void AddTo(RootCommand root)
    {
        root.Add(Store);
        root.Add(WalStore);
        root.Add(Path);
        root.Add(Json);
    }
}
