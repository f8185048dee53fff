using System.CommandLine;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary><c>create-checkpoint</c>, <c>refresh-checkpoint</c>, <c>delete-checkpoint</c>, <c>list-checkpoints</c>.</summary>
internal static class CheckpointCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var lifetime = new Option<TimeSpan?>("--lifetime") { Description = "How long the checkpoint lives (e.g. 1.00:00:00 for a day); forever when omitted" };
        var source = new Option<Guid?>("--source") { Description = "Pin the manifest of this existing checkpoint" };
        var name = new Option<string?>("--name") { Description = "A name for the checkpoint" };
        var create = new Command("create-checkpoint", "Pin the current durable state (a detached checkpoint; no writer is opened)") { lifetime, source, name };
        create.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireCheckpointAsync(admin, parsed.GetValue(source), ct).ConfigureAwait(false);

            var options = new CheckpointOptions { Lifetime = parsed.GetValue(lifetime), Source = parsed.GetValue(source), Name = parsed.GetValue(name) };
            var result = await admin.CreateCheckpointAsync(options, ct).ConfigureAwait(false);
            await context.PrintAsync(
                parsed,
                new System.Text.Json.Nodes.JsonObject { ["id"] = result.Id.ToString(), ["manifestId"] = result.ManifestId },
                Table.Fields(("id", result.Id), ("manifestId", result.ManifestId))).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(create);

        var refreshId = new Option<Guid>("--id") { Description = "The checkpoint id", Required = true };
        var refreshLifetime = new Option<TimeSpan?>("--lifetime") { Description = "The new lifetime from now; never expires when omitted" };
        var refresh = new Command("refresh-checkpoint", "Set a checkpoint's expiry to now + lifetime") { refreshId, refreshLifetime };
        refresh.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            var id = parsed.GetValue(refreshId);
            await CliContext.RequireCheckpointAsync(admin, id, ct).ConfigureAwait(false);
            var info = await admin.RefreshCheckpointAsync(id, parsed.GetValue(refreshLifetime), ct).ConfigureAwait(false);
            await context.PrintAsync(parsed, Json.Checkpoint(info), CheckpointTable([info])).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(refresh);

        var deleteId = new Option<Guid>("--id") { Description = "The checkpoint id", Required = true };
        var delete = new Command("delete-checkpoint", "Delete a checkpoint") { deleteId };
        delete.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            var id = parsed.GetValue(deleteId);
            await CliContext.RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
            if (!await admin.DeleteCheckpointAsync(id, ct).ConfigureAwait(false))
            {
                throw new NotFoundException($"the database '{admin.Path}' has no checkpoint {id}");
            }

            await context.PrintAsync(
                parsed, new System.Text.Json.Nodes.JsonObject { ["id"] = id.ToString(), ["deleted"] = true }, Table.Fields(("deleted", id))).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(delete);

        var listName = new Option<string?>("--name") { Description = "Only checkpoints with this name" };
        var list = new Command("list-checkpoints", "List the checkpoints of the latest manifest") { listName };
        list.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
            var found = await admin.ListCheckpointsAsync(parsed.GetValue(listName), ct).ConfigureAwait(false);
            await context.PrintAsync(parsed, Json.Array(found, Json.Checkpoint), CheckpointTable(found)).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(list);
    }

    private static Table CheckpointTable(IEnumerable<CheckpointInfo> checkpoints)
    {
        var table = new Table("id", "manifestId", "createTime", "expireTime", "name");
        foreach (var c in checkpoints)
        {
            table.Add(c.Id.ToString(), Renderer.Text(c.ManifestId), Renderer.Text(c.CreateTime), Renderer.Text(c.ExpireTime), c.Name ?? "-");
        }

        return table;
    }
}
