using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary><c>compactor</c>: the standalone compactor, until Ctrl-C or (with <c>--once</c>) until nothing is due.</summary>
internal static class CompactorCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var once = new Option<bool>("--once") { Description = "Compact until nothing is due, then exit (default: run until Ctrl-C)" };
        var compactor = new Command(
            "compactor",
            "Run the standalone compactor against the database (it claims the compactor epoch, fencing any other compactor)") { once };
        compactor.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
            var instance = await Compactor.OpenAsync(admin.Path, context.Store(parsed), cancellationToken: ct).ConfigureAwait(false);
            await using (instance.ConfigureAwait(false))
            {
                if (parsed.GetValue(once))
                {
                    await instance.CompactAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    await context.Error.WriteLineAsync($"compactor epoch {instance.Epoch} running on '{admin.Path}'; Ctrl-C stops it").ConfigureAwait(false);
                    await instance.RunAsync(ct).ConfigureAwait(false);
                }
            }

            var manifest = await admin.ReadManifestAsync(cancellationToken: ct).ConfigureAwait(false);
            var json = new JsonObject
            {
                ["compactorEpoch"] = manifest.CompactorEpoch,
                ["l0"] = manifest.L0.Count,
                ["sortedRuns"] = manifest.SortedRuns.Count,
            };
            var table = Table.Fields(("compactorEpoch", manifest.CompactorEpoch), ("l0", manifest.L0.Count), ("sortedRuns", manifest.SortedRuns.Count));
            await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(compactor);
    }
}
