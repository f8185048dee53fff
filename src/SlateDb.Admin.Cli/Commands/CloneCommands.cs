using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;
using SlateDb.ObjectStore;

namespace SlateDb.Admin.Cli.Commands;

/// <summary><c>create-clone</c> (a clone at --path reading the parent's SSTs in place) and <c>copy</c> (a self-contained copy).</summary>
internal static class CloneCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var parentPath = new Option<string>("--parent-path") { Description = "The parent database's path (in --store)", Required = true };
        var parentCheckpoint = new Option<Guid?>("--parent-checkpoint") { Description = "Clone this parent checkpoint; the current state when omitted" };
        var parentWalStore = new Option<string?>("--parent-wal-store") { Description = "The parent's WAL store URI, when separate" };
        var clone = new Command("create-clone", "Create a clone at --path of --parent-path (shares the parent's SSTs; re-running resumes)")
        {
            parentPath, parentCheckpoint, parentWalStore,
        };
        clone.SetAction(async (parsed, ct) =>
        {
            var store = context.Store(parsed);
            var parent = new DbAdmin(parsed.GetRequiredValue(parentPath), store, OpenOptional(parsed.GetValue(parentWalStore), "--parent-wal-store"));
            await CliContext.RequireCheckpointAsync(parent, parsed.GetValue(parentCheckpoint), ct).ConfigureAwait(false);
            var result = await DbAdmin.CreateCloneAsync(
                context.DbPath(parsed),
                parent.Path,
                store,
                parsed.GetValue(parentCheckpoint),
                context.WalStore(parsed),
                OpenOptional(parsed.GetValue(parentWalStore), "--parent-wal-store"),
                ct).ConfigureAwait(false);
            var json = new JsonObject
            {
                ["manifestId"] = result.ManifestId,
                ["parentCheckpointId"] = result.ParentCheckpointId.ToString(),
                ["finalCheckpointId"] = result.FinalCheckpointId.ToString(),
                ["replayAfterWalId"] = result.ReplayAfterWalId,
                ["nextWalSstId"] = result.NextWalSstId,
                ["walObjectsCopied"] = result.WalObjectsCopied,
                ["walObjectsSkipped"] = result.WalObjectsSkipped,
                ["bytesWritten"] = result.BytesWritten,
                ["alreadyExisted"] = result.AlreadyExisted,
            };
            await context.PrintAsync(parsed, json, Fields(json)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(clone);

        var toStore = new Option<string?>("--to-store") { Description = "The destination's main store URI (the source's --store when omitted)" };
        var toPath = new Option<string>("--to-path") { Description = "The destination database path", Required = true };
        var toWalStore = new Option<string?>("--to-wal-store") { Description = "The destination's separate WAL store URI" };
        var checkpoint = new Option<Guid?>("--checkpoint") { Description = "Copy the state this source checkpoint pins; the current state when omitted" };
        var copy = new Command("copy", "Copy the database at --path to another path or store (self-contained, verified; re-running resumes)")
        {
            toStore, toPath, toWalStore, checkpoint,
        };
        copy.SetAction(async (parsed, ct) =>
        {
            var source = context.Admin(parsed);
            await CliContext.RequireCheckpointAsync(source, parsed.GetValue(checkpoint), ct).ConfigureAwait(false);
            var destination = OpenOptional(parsed.GetValue(toStore), "--to-store") ?? context.Store(parsed);
            var progress = context.ShowProgress
                ? new Progress<CopyProgress>(p => context.Error.Write($"\rcopy: {p.DoneObjects}/{p.TotalObjects} objects, {p.DoneBytes / 1024}/{p.TotalBytes / 1024} KiB"))
                : null;
            var result = await DbAdmin.CopyAsync(
                source.Path,
                context.Store(parsed),
                parsed.GetRequiredValue(toPath),
                destination,
                parsed.GetValue(checkpoint),
                context.WalStore(parsed),
                OpenOptional(parsed.GetValue(toWalStore), "--to-wal-store"),
                progress,
                cancellationToken: ct).ConfigureAwait(false);
            if (progress is not null)
            {
                await context.Error.WriteLineAsync().ConfigureAwait(false);
            }

            var json = new JsonObject
            {
                ["sourceManifestId"] = result.SourceManifestId,
                ["sourceCheckpointId"] = result.SourceCheckpointId?.ToString(),
                ["sstsCopied"] = result.SstsCopied,
                ["sstsAlreadyPresent"] = result.SstsAlreadyPresent,
                ["walObjectsCopied"] = result.WalObjectsCopied,
                ["walObjectsSkipped"] = result.WalObjectsSkipped,
                ["bytesWritten"] = result.BytesWritten,
                ["alreadyExisted"] = result.AlreadyExisted,
            };
            await context.PrintAsync(parsed, json, Fields(json)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(copy);
    }

    private static IObjectStore? OpenOptional(string? uri, string option) => uri is null ? null : CliContext.Open(uri, option);

    private static Table Fields(JsonObject json)
    {
        var table = new Table("field", "value");
        foreach (var (name, value) in json)
        {
            table.Add(name, value?.ToString() ?? "-");
        }

        return table;
    }
}
