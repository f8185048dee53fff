namespace SlateDb.Admin.Cli;

/// <summary>The exit codes of <c>slatedb</c> (documented in its help text and the README).</summary>
internal static class ExitCodes
{
    /// <summary>The command succeeded.</summary>
    public const int Ok = 0;

    /// <summary>The command failed (a store error, corruption, a fenced writer, cancellation by Ctrl-C, ...).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command or option, missing or malformed value, malformed store URI.</summary>
    public const int Usage = 2;

    /// <summary>What the command names does not exist: the database, a manifest id, a checkpoint id, a key.</summary>
    public const int NotFound = 3;

    /// <summary>The help text's summary of the codes.</summary>
    public const string Description = "Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found (database, manifest, checkpoint or key).";
}

/// <summary>Something the command names does not exist (exit code 3).</summary>
internal sealed class NotFoundException(string message) : Exception(message);

/// <summary>A value on the command line is malformed (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
