using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary>
/// <c>get</c> and <c>scan</c> (through a read-only <see cref="DbReader"/>, which never fences the writer) and <c>put</c> and
/// <c>delete</c> (through a writer <see cref="Db"/>, which takes the database over from any running writer).
/// </summary>
internal static class DataCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var getKey = new Argument<string>("key") { Description = "The key (UTF-8 text)" };
        var getCheckpoint = new Option<Guid?>("--checkpoint") { Description = "Read the view of this checkpoint instead of the latest data" };
        var get = new Command("get", "Print the value of a key (durable data only; exit code 3 when absent)") { getKey, getCheckpoint };
        get.SetAction(async (parsed, ct) =>
        {
            var key = parsed.GetRequiredValue(getKey);
            var reader = await OpenReaderAsync(context, parsed, parsed.GetValue(getCheckpoint), ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                var value = await reader.GetAsync(key, cancellationToken: ct).ConfigureAwait(false)
                    ?? throw new NotFoundException($"the key '{key}' is not in '{context.DbPath(parsed)}'");
                var text = Encoding.UTF8.GetString(value);
                await context.PrintAsync(parsed, new JsonObject { ["key"] = key, ["value"] = text }, Table.Fields(("key", key), ("value", text))).ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        root.Add(get);

        var prefix = new Option<string?>("--prefix") { Description = "Only keys starting with this text" };
        var limit = new Option<int?>("--limit") { Description = "Print at most this many keys" };
        var scanCheckpoint = new Option<Guid?>("--checkpoint") { Description = "Scan the view of this checkpoint instead of the latest data" };
        var scan = new Command("scan", "Print keys and values in key order (durable data only)") { prefix, limit, scanCheckpoint };
        scan.SetAction(async (parsed, ct) =>
        {
            if (parsed.GetValue(limit) is < 0)
            {
                throw new UsageException("--limit must not be negative");
            }

            var max = parsed.GetValue(limit) ?? int.MaxValue;
            var range = parsed.GetValue(prefix) is { Length: > 0 } p ? KeyRange.Prefix(Encoding.UTF8.GetBytes(p)) : KeyRange.All;
            var reader = await OpenReaderAsync(context, parsed, parsed.GetValue(scanCheckpoint), ct).ConfigureAwait(false);
            var table = new Table("key", "value");
            var json = new JsonArray();
            await using (reader.ConfigureAwait(false))
            {
                var iterator = reader.ScanAsync(range, cancellationToken: ct);
                await using (((IAsyncDisposable)iterator).ConfigureAwait(false))
                {
                    while (json.Count < max && await iterator.NextAsync(ct).ConfigureAwait(false) is { } kv)
                    {
                        var (k, v) = (Renderer.Utf8(kv.Key), Renderer.Utf8(kv.Value));
                        table.Add(k, v);
                        json.Add((JsonNode)new JsonObject { ["key"] = k, ["value"] = v });
                    }
                }
            }

            await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(scan);

        var putKey = new Argument<string>("key") { Description = "The key (UTF-8 text)" };
        var putValue = new Argument<string>("value") { Description = "The value (UTF-8 text)" };
        var put = new Command("put", "Write a key durably (opens the database as its writer: a running writer is fenced)") { putKey, putValue };
        put.SetAction((parsed, ct) => WriteAsync(context, parsed, parsed.GetRequiredValue(putKey), parsed.GetRequiredValue(putValue), ct));
        root.Add(put);

        var deleteKey = new Argument<string>("key") { Description = "The key (UTF-8 text)" };
        var delete = new Command("delete", "Delete a key durably (opens the database as its writer: a running writer is fenced)") { deleteKey };
        delete.SetAction((parsed, ct) => WriteAsync(context, parsed, parsed.GetRequiredValue(deleteKey), null, ct));
        root.Add(delete);
    }

    private static async Task<DbReader> OpenReaderAsync(CliContext context, ParseResult parsed, Guid? checkpoint, CancellationToken ct)
    {
        var admin = context.Admin(parsed);
        await CliContext.RequireCheckpointAsync(admin, checkpoint, ct).ConfigureAwait(false);

        var options = new DbReaderOptions { CheckpointId = checkpoint, WalObjectStore = context.WalStore(parsed) };
        return await DbReader.OpenAsync(context.DbPath(parsed), context.Store(parsed), options, ct).ConfigureAwait(false);
    }

    private static async Task<int> WriteAsync(CliContext context, ParseResult parsed, string key, string? value, CancellationToken ct)
    {
        var builder = Db.Builder(context.DbPath(parsed), context.Store(parsed));
        if (context.WalStore(parsed) is { } walStore)
        {
            builder.WithWalObjectStore(walStore);
        }

        var db = await builder.BuildAsync(ct).ConfigureAwait(false);
        WriteHandle handle;
        try
        {
            handle = value is null
                ? await db.DeleteAsync(key, cancellationToken: ct).ConfigureAwait(false)
                : await db.PutAsync(key, value, cancellationToken: ct).ConfigureAwait(false);
        }
        finally
        {
            await db.DisposeAsync().ConfigureAwait(false);
        }

        var json = new JsonObject { ["key"] = key, ["seq"] = handle.Seq, ["deleted"] = value is null };
        await context.PrintAsync(parsed, json, Table.Fields(("key", key), (value is null ? "deleted at seq" : "written at seq", handle.Seq))).ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
