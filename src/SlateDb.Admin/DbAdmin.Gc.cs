using SlateDb.Gc;

namespace SlateDb.Admin;

/// <summary>Garbage collection on demand.</summary>
public sealed partial class DbAdmin
{
    /// <summary>
    /// Runs the garbage collector once: removes expired checkpoints, then deletes the manifests, WAL SSTs and compacted
    /// SSTs that neither the latest manifest, nor a checkpoint, nor a clone needs, each only when older than
    /// <see cref="GcOptions.MinAge"/>; then detaches clone parents this database no longer reads. Safe while a writer
    /// has the database open. Scans open in other processes rely on <see cref="GcOptions.MinAge"/>.
    /// </summary>
    /// <param name="options">MinAge and DryRun; defaults (5 minutes, deleting) when null.</param>
    /// <param name="cancellationToken">Stops the run between deletes.</param>
    /// <returns>What was deleted or, with <see cref="GcOptions.DryRun"/>, what would be.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="GcOptions.MinAge"/> is negative.</exception>
    /// <exception cref="SlateDbException">There is no database at the path, or a checkpointed manifest is missing (then nothing is deleted).</exception>
    public Task<GcResult> RunGarbageCollectionAsync(GcOptions? options = null, CancellationToken cancellationToken = default)
        => new GarbageCollector(Store, WalStore, Manifests, GcManifestAccess.ForStore(Manifests), Time, Logger, pins: null)
            .RunAsync(options ?? new GcOptions(), cancellationToken);
}
