using Microsoft.Extensions.Logging;

namespace SlateDb.Infrastructure;

/// <summary>The database's log events (source-generated, allocation-free when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Opened '{Path}' as writer epoch {Epoch}: replayed WAL ids ({ReplayAfter}, {FenceId}) with {Rows} rows; writing WAL from id {NextWalId}")]
    public static partial void Opened(ILogger logger, string path, ulong epoch, ulong replayAfter, ulong fenceId, long rows, ulong nextWalId);

    [LoggerMessage(2, LogLevel.Debug, "'{Path}': WAL object {WalId} stored ({Rows} rows, {Bytes} bytes, through seq {MaxSeq})")]
    public static partial void WalFlushed(ILogger logger, string path, ulong walId, long rows, long bytes, ulong maxSeq);

    [LoggerMessage(3, LogLevel.Information, "'{Path}': memtable flushed to L0 SST {SstPath} ({Rows} rows, {Bytes} bytes, through seq {LastSeq}); replay now starts after WAL id {ReplayAfter}")]
    public static partial void L0Flushed(ILogger logger, string path, string sstPath, long rows, long bytes, ulong lastSeq, ulong replayAfter);

    [LoggerMessage(4, LogLevel.Warning, "'{Path}' was fenced by a newer writer and is closed: {Reason}")]
    public static partial void Fenced(ILogger logger, string path, string reason);

    [LoggerMessage(5, LogLevel.Warning, "'{Path}': dropped the corrupt WAL tail object {ObjectPath} ({Bytes} bytes; WalRecoveryMode.TolerateCorruptTail): {Detail}")]
    public static partial void WalTailDropped(ILogger logger, string path, string objectPath, long bytes, string detail);

    [LoggerMessage(6, LogLevel.Error, "'{Path}' failed and is closed")]
    public static partial void Failed(ILogger logger, string path, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Closed '{Path}'")]
    public static partial void Closed(ILogger logger, string path);

    [LoggerMessage(8, LogLevel.Information, "'{Path}': recorded the WAL object store '{Uri}' in the manifest")]
    public static partial void WalStoreRecorded(ILogger logger, string path, string uri);

    [LoggerMessage(9, LogLevel.Debug, "'{Path}': writers wait: {Unflushed} unflushed bytes, limit {Limit}")]
    public static partial void Backpressure(ILogger logger, string path, long unflushed, long limit);

    [LoggerMessage(10, LogLevel.Warning, "'{Path}': reading the manifest failed; retrying at the next poll")]
    public static partial void ManifestPollFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "'{Path}': the manifest says WAL ids up to {Expected} were written, but the WAL store holds ids only up to {Found}")]
    public static partial void WalShorterThanManifest(ILogger logger, string path, ulong expected, ulong found);

    [LoggerMessage(12, LogLevel.Debug, "'{Path}': WAL id {WalId} was taken by another writer while fencing; trying the next id")]
    public static partial void FenceClash(ILogger logger, string path, ulong walId);

    [LoggerMessage(30, LogLevel.Information, "'{Path}': checkpoint {CheckpointId} created ({Scope}), pinning manifest {ManifestId}")]
    public static partial void CheckpointCreated(ILogger logger, string path, Guid checkpointId, ulong manifestId, CheckpointScope scope);

    [LoggerMessage(40, LogLevel.Information, "'{Path}': compactor epoch {Epoch} claimed")]
    public static partial void CompactorClaimed(ILogger logger, string path, ulong epoch);

    [LoggerMessage(41, LogLevel.Debug, "'{Path}': compaction {JobId} started: {Spec}")]
    public static partial void CompactionStarted(ILogger logger, string path, string jobId, string spec);

    [LoggerMessage(42, LogLevel.Information, "'{Path}': compaction {JobId} published ({Spec}): {BytesIn} bytes in, {Ssts} SSTs of {BytesOut} bytes out, {RowsIn} rows in, {RowsOut} kept, in {Ms} ms")]
    public static partial void CompactionFinished(ILogger logger, string path, string jobId, string spec, long bytesIn, int ssts, long bytesOut, long rowsIn, long rowsOut, long ms);

    [LoggerMessage(43, LogLevel.Warning, "'{Path}': compaction {JobId} failed and will be picked again; its outputs stay unreferenced")]
    public static partial void CompactionFailed(ILogger logger, string path, string jobId, Exception error);

    [LoggerMessage(44, LogLevel.Warning, "'{Path}': this compactor was fenced by a newer one and stopped: {Reason}")]
    public static partial void CompactorFenced(ILogger logger, string path, string reason);

    [LoggerMessage(45, LogLevel.Error, "'{Path}': the compactor failed and stopped")]
    public static partial void CompactorFailed(ILogger logger, string path, Exception error);

    [LoggerMessage(46, LogLevel.Information, "'{Path}': {Count} L0 SSTs reach L0MaxSsts ({Limit}); memtable flushes wait for compaction")]
    public static partial void L0Full(ILogger logger, string path, int count, int limit);

    [LoggerMessage(47, LogLevel.Warning, "'{Path}': no compactor runs in this process (Settings.Compactor is null), so L0MaxSsts ({Limit}) is not enforced; run a compactor elsewhere or L0 grows without bound")]
    public static partial void L0LimitNotEnforced(ILogger logger, string path, int limit);

    [LoggerMessage(48, LogLevel.Debug, "'{Path}': the compactor's pass failed; retrying at the next poll")]
    public static partial void CompactorPassFailed(ILogger logger, string path, Exception error);

    [LoggerMessage(49, LogLevel.Debug, "'{Path}': refreshing the database's manifest after a compaction failed (the poller catches up)")]
    public static partial void CompactionRefreshFailed(ILogger logger, string path, Exception error);

    [LoggerMessage(60, LogLevel.Information, "'{Path}': garbage collection {Verb} {Manifests} manifests, {WalSsts} WAL SSTs, {Ssts} compacted SSTs, {Checkpoints} expired checkpoints and {CompactorStates} compactor states")]
    public static partial void GcFinished(ILogger logger, string path, string verb, int manifests, int walSsts, int ssts, int checkpoints, int compactorStates);

    [LoggerMessage(61, LogLevel.Warning, "'{Path}': garbage collection failed; it runs again at the next interval")]
    public static partial void GcFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(62, LogLevel.Information, "'{Path}': detached from '{Parent}': no manifest references its SSTs any more, so its checkpoint {CheckpointId} was deleted there and the reference dropped")]
    public static partial void GcDetached(ILogger logger, string path, string parent, Guid checkpointId);

    [LoggerMessage(63, LogLevel.Debug, "'{Path}': garbage collection deleted {ObjectPath}")]
    public static partial void GcDeleted(ILogger logger, string path, string objectPath);

    [LoggerMessage(64, LogLevel.Warning, "'{Path}': garbage collection could not detach from '{Parent}'; it tries again at the next run")]
    public static partial void GcDetachFailed(ILogger logger, string path, string parent, Exception exception);

    [LoggerMessage(90, LogLevel.Information, "Clone '{ClonePath}' of '{ParentPath}' started from checkpoint {CheckpointId} (parent manifest {ManifestId})")]
    public static partial void CloneStarted(ILogger logger, string clonePath, string parentPath, Guid checkpointId, ulong manifestId);

    [LoggerMessage(91, LogLevel.Information, "Clone '{ClonePath}' of '{ParentPath}' finished: {Copied} WAL objects copied, {Skipped} leading ids missing and skipped; replay after WAL id {ReplayAfter}, next WAL id {NextWal}")]
    public static partial void CloneFinished(ILogger logger, string clonePath, string parentPath, int copied, int skipped, ulong replayAfter, ulong nextWal);

    [LoggerMessage(92, LogLevel.Information, "Copy of '{SourcePath}' ({SourceUri}) to '{DestinationPath}' ({DestinationUri}) finished: {Ssts} SSTs ({SstsPresent} already there), {Wal} WAL objects, {Bytes} bytes written, manifest {ManifestId} from checkpoint {CheckpointId}")]
    public static partial void CopyFinished(ILogger logger, string sourcePath, string sourceUri, string destinationPath, string destinationUri, int ssts, int sstsPresent, int wal, long bytes, ulong manifestId, Guid checkpointId);

    [LoggerMessage(93, LogLevel.Warning, "Copy of '{SourcePath}': removing its short-lived checkpoint {CheckpointId} failed; it expires by itself")]
    public static partial void CopyCheckpointNotRemoved(ILogger logger, string sourcePath, Guid checkpointId, Exception exception);

    [LoggerMessage(80, LogLevel.Information, "'{Path}': detached checkpoint {CheckpointId} created, pinning manifest {ManifestId} (WAL ids below {NextWalId} covered)")]
    public static partial void DetachedCheckpointCreated(ILogger logger, string path, Guid checkpointId, ulong manifestId, ulong nextWalId);

    [LoggerMessage(81, LogLevel.Information, "'{Path}': checkpoint {CheckpointId} now expires at {ExpireTime} (none: never)")]
    public static partial void CheckpointRefreshed(ILogger logger, string path, Guid checkpointId, DateTimeOffset? expireTime);

    [LoggerMessage(82, LogLevel.Information, "'{Path}': checkpoint {CheckpointId} deleted (it existed: {Existed})")]
    public static partial void CheckpointDeleted(ILogger logger, string path, Guid checkpointId, bool existed);

    [LoggerMessage(83, LogLevel.Information, "'{Path}': verified manifest {ManifestId}: {Objects} objects, {Bytes} bytes read, {Problems} problems")]
    public static partial void Verified(ILogger logger, string path, ulong manifestId, long objects, long bytes, int problems);

    [LoggerMessage(84, LogLevel.Warning, "'{Path}': verification problem in '{ObjectPath}': {Problem}")]
    public static partial void VerifyProblem(ILogger logger, string path, string objectPath, string problem);

    [LoggerMessage(300, LogLevel.Warning, "'{Path}': the merge operator threw while {Doing} folded the operands of key {Key}; they are kept unmerged (reads of the key report the failure)")]
    public static partial void MergeKeptUnfolded(ILogger logger, string path, string doing, string key, Exception exception);
}
