using System.CommandLine;
using System.Text.Json.Nodes;
using SlateDb.Admin.Cli.Output;

namespace SlateDb.Admin.Cli.Commands;

/// <summary>
/// <c>tail</c>: prints the change feed (<see cref="WalReader"/>), one line per row, reading only (it never fences the
/// writer). Each line carries the cursor to resume after that row's write batch (<c>--from</c>).
/// </summary>
internal static class ChangeCommands
{
    public static void AddTo(RootCommand root, CliContext context)
    {
        var from = new Option<string?>("--from")
        {
            Description = "Start after this cursor ('<WAL id>:<seq>', as printed on each line); from the oldest WAL object present when omitted",
        };
        var follow = new Option<bool>("--follow") { Description = "Wait at the tail for new writes until Ctrl-C (exit code 0)" };
        var pollInterval = new Option<TimeSpan?>("--poll-interval") { Description = "How often --follow looks for new WAL objects (default 00:00:01)" };
        var tail = new Command(
            "tail",
            "Print the changes in the WAL in write order: '<cursor> <kind> <key> <value>' lines, or JSON lines with --json. " +
            "Exit code 1 when the WAL is truncated at the cursor (garbage collection removed WAL objects not yet printed).")
        {
            from, follow, pollInterval,
        };
        tail.SetAction(async (parsed, ct) =>
        {
            var start = parsed.GetValue(from) is { } text ? ChangeCursor.Parse(text) : ChangeCursor.Beginning;
            var interval = parsed.GetValue(pollInterval) ?? TimeSpan.FromSeconds(1);
            if (interval <= TimeSpan.Zero)
            {
                throw new UsageException($"--poll-interval must be positive (it is {interval})");
            }

            var following = parsed.GetValue(follow);
            var json = parsed.GetValue(context.Globals.Json);
            await CliContext.RequireDatabaseAsync(context.Admin(parsed), ct).ConfigureAwait(false);
            var options = new WalReaderOptions { WalObjectStore = context.WalStore(parsed), PollInterval = interval };
            var reader = await WalReader.OpenAsync(context.DbPath(parsed), context.Store(parsed), options, ct).ConfigureAwait(false);
            try
            {
                await foreach (var batch in reader.ReadChangesAsync(start, following, ct).ConfigureAwait(false))
                {
                    await PrintAsync(context.Output, batch, json).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (following && ct.IsCancellationRequested)
            {
                // Ctrl-C is how --follow ends.
            }

            return ExitCodes.Ok;
        });
        root.Add(tail);
    }

    private static async Task PrintAsync(TextWriter output, ChangeBatch batch, bool json)
    {
        // Each row carries the cursor after its write batch (the rows of one write batch share a seq and are consecutive).
        var rows = batch.Rows;
        var cursors = new ChangeCursor[rows.Count];
        for (var i = rows.Count - 1; i >= 0; i--)
        {
            cursors[i] = i == rows.Count - 1 || rows[i].Seq != rows[i + 1].Seq ? batch.CursorAfter(i) : cursors[i + 1];
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var kind = row.Kind.ToString().ToLowerInvariant();
            var line = json
                ? new JsonObject
                {
                    ["cursor"] = cursors[i].ToString(),
                    ["walId"] = batch.WalId,
                    ["seq"] = row.Seq,
                    ["kind"] = kind,
                    ["key"] = Renderer.Utf8(row.Key),
                    ["value"] = row.Kind == ChangeKind.Delete ? null : Renderer.Utf8(row.Value),
                    ["createTimestamp"] = row.CreateTimestamp,
                    ["expireTimestamp"] = row.ExpireTimestamp,
                }.ToJsonString()
                : string.Join('\t', cursors[i].ToString(), kind, Renderer.Utf8(row.Key), row.Kind == ChangeKind.Delete ? "" : Renderer.Utf8(row.Value));
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }

        await output.FlushAsync().ConfigureAwait(false);
    }
}
