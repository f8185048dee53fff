using System.CommandLine;
using System.CommandLine.Help;
using SlateDb.Admin.Cli.Commands;
using SlateDb.ObjectStore;

namespace SlateDb.Admin.Cli;

// The `slatedb` command line: global options, the commands, and how failures become exit codes and stderr messages.
//
// Invariants
//  1. stdout carries only the command's result (a table, or JSON with --json); every error goes to stderr as one line
//     "slatedb: <what failed>" plus a line saying what to do, and the exit code says which kind (ExitCodes).
//  2. A parse error never touches a store: the command line is checked whole first (exit code 2).
//  3. Ctrl-C cancels the command's token; the command stops at its next store call and exits with code 1 after
//     releasing what it holds (a reader's checkpoint, a writer's close).

/// <summary>Builds and runs the <c>slatedb</c> root command.</summary>
internal static class SlateDbCli
{
    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var globals = new GlobalOptions();
        var root = new RootCommand(
            "slatedb: inspect and administer a SlateDb database in an object store (file://, s3://, az://, memory://). " +
            "Credentials come only from the SDKs' environment (AWS_*, AZURE_STORAGE_*). " + ExitCodes.Description);
        globals.AddTo(root);
        var context = new CliContext(globals, output, error);
        ManifestCommands.AddTo(root, context);
        CheckpointCommands.AddTo(root, context);
        DataCommands.AddTo(root, context);
        MaintenanceCommands.AddTo(root, context);
        CloneCommands.AddTo(root, context);
        CompactorCommands.AddTo(root, context);
        ChangeCommands.AddTo(root, context);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && parsed.Action is not HelpAction)
        {
            foreach (var parseError in parsed.Errors)
            {
                await error.WriteLineAsync($"slatedb: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'slatedb --help' (or 'slatedb <command> --help') for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parsed.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return await ReportAsync(e, error).ConfigureAwait(false);
        }
    }

    private static async Task<int> ReportAsync(Exception e, TextWriter error)
    {
        var (code, hint) = e switch
        {
            NotFoundException => (ExitCodes.NotFound, "Check the path and ids (list-manifests, list-checkpoints)."),
            UsageException or ArgumentException or FormatException => (ExitCodes.Usage, "Run 'slatedb --help' for usage."),
            OperationCanceledException => (ExitCodes.Failure, "Cancelled; nothing was left half done."),
            FencedException => (ExitCodes.Failure, "A newer writer owns the database; write through it, or run the command again to take over."),
            CorruptionException => (ExitCodes.Failure, "Run 'slatedb verify' to list every damaged object."),
            WalTruncatedException => (ExitCodes.Failure, "Rebuild the copy from a checkpoint, then tail from there (see 'Change data capture' in the README)."),
            ObjectStoreException s when s.IsTransient => (ExitCodes.Failure, "The store did not answer; check the endpoint and network, then retry."),
            ObjectStoreException => (ExitCodes.Failure, "Check the store URI and the credentials in the environment (AWS_*, AZURE_STORAGE_*)."),
            SlateDbException => (ExitCodes.Failure, "See the message above for what to change."),
            _ => (ExitCodes.Failure, "This is unexpected; please report it with the command line used."),
        };
        var message = e is OperationCanceledException ? "cancelled" : e.Message;
        await error.WriteLineAsync($"slatedb: {message}").ConfigureAwait(false);
        await error.WriteLineAsync(hint).ConfigureAwait(false);
        return code;
    }
}
