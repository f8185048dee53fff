using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary><c>verify</c> and <c>run-gc</c>.</summary>
internal static class MaintenanceCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var checkpoint = new Option<Guid?>("--checkpoint") { Description = "Verify the state this checkpoint pins instead of the latest" };
        var verify = new Command("verify", "Read and checksum every object the database needs; exit code 1 when any problem is found") { checkpoint };
        verify.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireCheckpointAsync(admin, parsed.GetValue(checkpoint), ct).ConfigureAwait(false);

            var progress = context.ShowProgress ? new Progress<VerifyProgress>(p => ProgressLine(context, p)) : null;
            var report = await admin.VerifyAsync(parsed.GetValue(checkpoint), progress, ct).ConfigureAwait(false);
            if (progress is not null)
            {
                await context.Error.WriteLineAsync().ConfigureAwait(false);
            }

            var json = new JsonObject
            {
                ["isHealthy"] = report.IsHealthy,
                ["objectsChecked"] = report.ObjectsChecked,
                ["bytesRead"] = report.BytesRead,
                ["manifestId"] = report.ManifestId,
                ["problems"] = Json.Array(report.Problems, p => new JsonObject { ["path"] = p.Path, ["message"] = p.Message }),
            };
            var table = new Table("path", "problem");
            foreach (var problem in report.Problems)
            {
                table.Add(problem.Path, problem.Message);
            }

            if (parsed.GetValue(context.Globals.Json))
            {
                await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
            }
            else
            {
                await context.PrintAsync(
                    parsed,
                    json,
                    Table.Fields(("healthy", report.IsHealthy), ("objectsChecked", report.ObjectsChecked), ("bytesRead", report.BytesRead), ("problems", report.Problems.Count)))
                    .ConfigureAwait(false);
                if (report.Problems.Count > 0)
                {
                    await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
                }
            }

            return report.IsHealthy ? ExitCodes.Ok : ExitCodes.Failure;
        });
        root.Add(verify);

        var minAge = new Option<TimeSpan?>("--min-age") { Description = "Delete only objects older than this (default 00:05:00)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be deleted; delete nothing" };
        var gc = new Command("run-gc", "Delete manifests, WAL SSTs and SSTs nothing needs any more (expired checkpoints first)") { minAge, dryRun };
        gc.SetAction(async (parsed, ct) =>
        {
            var admin = context.Admin(parsed);
            await CliContext.RequireDatabaseAsync(admin, ct).ConfigureAwait(false);
            var options = parsed.GetValue(minAge) is { } age
                ? new GcOptions { DryRun = parsed.GetValue(dryRun), MinAge = age }
                : new GcOptions { DryRun = parsed.GetValue(dryRun) };

            var result = await admin.RunGarbageCollectionAsync(options, ct).ConfigureAwait(false);
            var json = new JsonObject
            {
                ["dryRun"] = options.DryRun,
                ["deletedManifests"] = result.DeletedManifests,
                ["deletedWalSsts"] = result.DeletedWalSsts,
                ["deletedSsts"] = result.DeletedSsts,
                ["deletedCheckpoints"] = result.DeletedCheckpoints,
            };
            var table = Table.Fields(
                ("dryRun", options.DryRun),
                ("deletedManifests", result.DeletedManifests),
                ("deletedWalSsts", result.DeletedWalSsts),
                ("deletedSsts", result.DeletedSsts),
                ("deletedCheckpoints", result.DeletedCheckpoints));
            await context.PrintAsync(parsed, json, table).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        root.Add(gc);
    }

    private static void ProgressLine(CliContext context, VerifyProgress p)
    {
        var percent = p.ObjectsTotal > 0 ? 100 * p.ObjectsChecked / p.ObjectsTotal : 0;
        context.Error.Write($"\rverify: {p.ObjectsChecked}/{p.ObjectsTotal} objects ({percent}%), {p.BytesRead / 1024} KiB read");
    }
}
