using Microsoft.Extensions.Logging;

namespace SlateDb.Infrastructure;

/// <summary>The log events of read-only views (<see cref="DbReader"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Information, "Opened a reader of '{Path}' at manifest {ManifestId} (checkpoint {CheckpointId}), WAL replayed through id {WalId}; pinned: {Pinned}")]
    public static partial void ReaderOpened(ILogger logger, string path, ulong manifestId, string checkpointId, ulong walId, bool pinned);

    [LoggerMessage(201, LogLevel.Debug, "Reader of '{Path}': replayed WAL ids ({From}, {Through}] with {Rows} rows")]
    public static partial void ReaderTailed(ILogger logger, string path, ulong from, ulong through, long rows);

    [LoggerMessage(202, LogLevel.Warning, "Reader of '{Path}': could not delete its checkpoint {CheckpointId}; it expires by itself")]
    public static partial void ReaderCheckpointNotDeleted(ILogger logger, string path, Guid checkpointId, Exception error);

    [LoggerMessage(203, LogLevel.Information, "Promoted a reader of '{Path}' to writer epoch {Epoch} (it had replayed WAL through id {WalId}) in {Milliseconds} ms")]
    public static partial void ReaderPromoted(ILogger logger, string path, ulong epoch, ulong walId, double milliseconds);
}
