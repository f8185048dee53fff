using Microsoft.Extensions.Logging;

namespace SlateDb.Infrastructure;

/// <summary>The log events of the change feed (<see cref="WalReader"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(340, LogLevel.Information, "Change feed of '{Path}' started after cursor {Cursor} (WAL store {WalStoreUri}; following: {Follow})")]
    public static partial void ChangeFeedStarted(ILogger logger, string path, string cursor, string walStoreUri, bool follow);

    [LoggerMessage(341, LogLevel.Debug, "Change feed of '{Path}': at the tail after cursor {Cursor}")]
    public static partial void ChangeFeedAtTail(ILogger logger, string path, string cursor);

    [LoggerMessage(342, LogLevel.Error, "Change feed of '{Path}': the WAL is truncated at cursor {Cursor} (WAL id {MissingWalId} is missing)")]
    public static partial void ChangeFeedTruncated(ILogger logger, string path, string cursor, ulong missingWalId);
}
