using SlateDb.Clones;
using SlateDb.ObjectStore;

namespace SlateDb.Admin;

public sealed partial class DbAdmin
{
    /// <summary>
    /// Makes a self-contained copy of a database (its current state, or one of its checkpoints) at another path or in
    /// another object store: every SST it references, its clone parents' included, under the destination's own path,
    /// the WAL objects of its replay range, and a fresh manifest written last. The copy is verified (sizes, every block
    /// checksum, rows against properties) before that manifest is written. Resumable: after a crash, re-run the same
    /// call and objects already copied are skipped. Re-running a finished copy of an unchanged source succeeds without
    /// writing. The source is not changed, except for a short-lived checkpoint pinning it while the copy runs (removed at
    /// the end) when <paramref name="sourceCheckpoint"/> is null.
    /// </summary>
    /// <param name="sourcePath">The source database path.</param>
    /// <param name="sourceStore">The source's main object store.</param>
    /// <param name="destinationPath">The destination database path (empty, or an interrupted copy of the same source).</param>
    /// <param name="destinationStore">The destination's main object store (may be the source's).</param>
    /// <param name="sourceCheckpoint">The source checkpoint to copy; null copies the current state.</param>
    /// <param name="sourceWalStore">The source's separate WAL store, as recorded in its manifest; null when its WAL is in its main store.</param>
    /// <param name="destinationWalStore">The destination's separate WAL store (recorded in its manifest); null keeps its WAL in its main store.</param>
    /// <param name="progress">Receives objects and bytes, total and done, after each object.</param>
    /// <param name="options">Clock, seed, logging, concurrency; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the copy; a re-run resumes.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="ArgumentException">A path is invalid, or the destination is the source itself.</exception>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the source is missing or an unfinished clone, the
    /// checkpoint is unknown, the destination holds a different database, or <paramref name="sourceWalStore"/> is not the recorded
    /// WAL store; (<see cref="SlateDbErrorKind.Data"/>) the source's WAL range has a hole, or the copy does not verify (the
    /// message lists every problem with its object path).</exception>
    public static async Task<CopyResult> CopyAsync(
        string sourcePath,
        IObjectStore sourceStore,
        string destinationPath,
        IObjectStore destinationStore,
        Guid? sourceCheckpoint = null,
        IObjectStore? sourceWalStore = null,
        IObjectStore? destinationWalStore = null,
        IProgress<CopyProgress>? progress = null,
        CloneOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sourceStore);
        ArgumentNullException.ThrowIfNull(destinationStore);
        var services = Services(options);
        Action<CopyCounts>? report = progress is null
            ? null
            : counts => progress.Report(new CopyProgress
            {
                TotalObjects = counts.TotalObjects,
                DoneObjects = counts.DoneObjects,
                TotalBytes = counts.TotalBytes,
                DoneBytes = counts.DoneBytes,
            });
        var procedure = new CopyProcedure(
            sourcePath,
            Retrying(sourceStore, services),
            Separate(sourceWalStore, sourceStore, services),
            destinationPath,
            Retrying(destinationStore, services),
            Separate(destinationWalStore, destinationStore, services),
            services,
            report);
        var outcome = await procedure.RunAsync(sourceCheckpoint, cancellationToken).ConfigureAwait(false);
        return new CopyResult
        {
            SourceCheckpointId = outcome.CheckpointId,
            SourceManifestId = outcome.SourceManifestId,
            SstsCopied = outcome.SstsCopied,
            SstsAlreadyPresent = outcome.SstsAlreadyPresent,
            WalObjectsCopied = outcome.WalObjectsCopied,
            WalObjectsSkipped = outcome.WalObjectsSkipped,
            BytesWritten = outcome.BytesWritten,
            ReplayAfterWalId = outcome.ReplayAfterWalId,
            NextWalSstId = outcome.NextWalSstId,
            AlreadyExisted = outcome.AlreadyDone,
        };
    }
}
