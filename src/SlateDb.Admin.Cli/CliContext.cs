using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;
using SlateDb.ObjectStore;

namespace SlateDb.Admin.Cli;

/// <summary>What a command needs from the command line: the stores, the admin, and where and how to print.</summary>
internal sealed class CliContext(GlobalOptions globals, TextWriter output, TextWriter error)
{
    public GlobalOptions Globals { get; } = globals;

    /// <summary>Where results go (stdout), for commands that print as they go.</summary>
    public TextWriter Output { get; } = output;

    /// <summary>Where progress goes (stderr), shown only when stdout is a terminal.</summary>
    public TextWriter Error { get; } = error;

    /// <summary>Whether progress is shown: stdout is the console and a terminal.</summary>
    public bool ShowProgress => ReferenceEquals(Output, Console.Out) && !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    public string DbPath(ParseResult parsed) => parsed.GetRequiredValue(Globals.Path);

    public IObjectStore Store(ParseResult parsed) => Open(parsed.GetRequiredValue(Globals.Store), "--store");

    public IObjectStore? WalStore(ParseResult parsed)
        => parsed.GetValue(Globals.WalStore) is { } uri ? Open(uri, "--wal-store") : null;

    public DbAdmin Admin(ParseResult parsed) => new(DbPath(parsed), Store(parsed), WalStore(parsed));

    /// <summary>Fails with exit code 3 when there is no database at the path (checked before commands that need one).</summary>
    public static async Task RequireDatabaseAsync(DbAdmin admin, CancellationToken ct)
    {
        if ((await admin.ListManifestsAsync(cancellationToken: ct).ConfigureAwait(false)).Count == 0)
        {
            throw new NotFoundException($"there is no database at '{admin.Path}' (it has no manifest)");
        }
    }

    /// <summary>Fails with exit code 3 when there is no database at the path, or (when given) no checkpoint <paramref name="id"/>.</summary>
    public static async Task RequireCheckpointAsync(DbAdmin admin, Guid? id, CancellationToken ct)
    {
        await RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
        if (id is { } wanted && !(await admin.ListCheckpointsAsync(cancellationToken: ct).ConfigureAwait(false)).Any(c => c.Id == wanted))
        {
            throw new NotFoundException($"the database '{admin.Path}' has no checkpoint {wanted}");
        }
    }

    /// <summary>Prints <paramref name="json"/> with --json, else <paramref name="table"/>.</summary>
    public Task PrintAsync(ParseResult parsed, JsonNode json, Table table)
        => parsed.GetValue(Globals.Json) ? Renderer.WriteJsonAsync(Output, json) : Renderer.WriteTableAsync(Output, table);

    public static IObjectStore Open(string uri, string option)
    {
        try
        {
            return ObjectStores.FromUri(uri);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
