using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary><c>read-manifest</c> and <c>list-manifests</c>.</summary>
internal static class ManifestCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var id = new Option<ulong?>("--id") { Description = "The manifest id (the latest when omitted)" };
        var read = new Command("read-manifest", "Print a manifest: epochs, WAL range, L0, sorted runs, checkpoints") { id };
        read.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
            if (parsed.GetValue(id) is { } wanted && (await admin.ListManifestsAsync(wanted, wanted, ct).ConfigureAwait(false)).Count == 0)
            {
                throw new NotFoundException($"the database '{admin.Path}' has no manifest {wanted}");
            }

            var m = await admin.ReadManifestAsync(parsed.GetValue(id), ct).ConfigureAwait(false);
            var table = Table.Fields(
                ("id", m.Id),
                ("writerEpoch", m.WriterEpoch),
                ("compactorEpoch", m.CompactorEpoch),
                ("replayAfterWalId", m.ReplayAfterWalId),
                ("nextWalSstId", m.NextWalSstId),
                ("lastL0Seq", m.LastL0Seq),
                ("l0", $"{m.L0.Count} SSTs"),
                ("sortedRuns", $"{m.SortedRuns.Count} runs"),
                ("checkpoints", m.Checkpoints.Count),
                ("externalDbs", m.ExternalDbs.Count),
                ("initialized", m.Initialized),
                ("walObjectStoreUri", m.WalObjectStoreUri));
            await context.PrintAsync(parsed, Json.Manifest(m), table).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(read);

        var start = new Option<ulong?>("--start") { Description = "The first manifest id to list" };
        var end = new Option<ulong?>("--end") { Description = "The last manifest id to list" };
        var list = new Command("list-manifests", "List the stored manifests (id, time, size)") { start, end };
        list.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            var found = await admin.ListManifestsAsync(parsed.GetValue(start), parsed.GetValue(end), ct).ConfigureAwait(false);
            var table = new Table("id", "lastModified", "size");
            var json = new JsonArray();
            foreach (var info in found)
            {
                table.Add(Renderer.Text(info.Id), Renderer.Text(info.LastModified), Renderer.Text(info.Size));
                json.Add((JsonNode)new JsonObject { ["id"] = info.Id, ["lastModified"] = info.LastModified, ["size"] = info.Size });
            }

            await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(list);
    }
}
