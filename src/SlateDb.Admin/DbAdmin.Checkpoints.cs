using SlateDb.Checkpoints;
using SlateDb.Engine;
using SlateDb.Infrastructure;
using SlateDb.Wal;

namespace SlateDb.Admin;

// Detached checkpoints: checkpoints made on the manifest alone, without a writer (no epoch claimed, nothing flushed).
// Each operation is one compare-and-swap update of the manifest (ManifestStore.UpdateAsync), so it never overwrites a
// concurrent writer's or compactor's manifest: on a conflict it re-reads the latest and applies itself again. A
// refused operation (unknown id, uninitialized database, wrong WAL store) throws before anything is written.

public sealed partial class DbAdmin
{
    /// <summary>
    /// Creates a detached checkpoint: pins the current manifest state (or, with <see cref="CheckpointOptions.Source"/>,
    /// the manifest another checkpoint pins) so garbage collection keeps everything it references. Works while a writer
    /// has the database open; nothing is flushed and no writer epoch is claimed.
    /// </summary>
    /// <remarks>
    /// Without a source, the checkpoint pins the very manifest the update writes (the latest id + 1), and the same
    /// update raises that manifest's <c>next_wal_sst_id</c> to one past the last WAL object found by listing the WAL
    /// store after <c>replay_after_wal_id</c> (never lowering it). A running writer records its WAL ids in the manifest
    /// only at its next manifest write, so without this the pinned WAL range would stop short of WAL objects the writer
    /// already stored; with it, the pinned manifest's WAL range covers every WAL object stored when the listing ran,
    /// i.e. every write acknowledged as durable before the call.
    /// The WAL store is checked as a writer's open checks it: when the manifest records a WAL store, this admin must have
    /// been created with that store; when it records none and this admin has one, the main store must hold no WAL data
    /// still to replay. The admin never records a WAL store itself.
    /// </remarks>
    /// <param name="options">Lifetime (null: never expires), name and source; null for a permanent unnamed checkpoint.</param>
    /// <param name="cancellationToken">Cancels the operation (before the manifest write lands).</param>
    /// <returns>The checkpoint's id and the manifest id it pins.</returns>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest, is an
    /// unfinished clone, has no checkpoint <see cref="CheckpointOptions.Source"/>, or its WAL store does not match this
    /// admin's (the message names both URIs).</exception>
    /// <exception cref="CorruptionException">The WAL store holds a stray object or misses ids before a later object (the
    /// WAL range cannot be settled); the message names the object.</exception>
    /// <exception cref="ArgumentException">The options are invalid (lifetime not positive, name empty or too long).</exception>
    public async Task<CheckpointResult> CreateCheckpointAsync(CheckpointOptions? options = null, CancellationToken cancellationToken = default)
    {
        ManifestCheckpoints.Validate(options);
        var latest = await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        ThrowIfUninitialized(latest);
        await WalStoreCheck.CheckAsync(latest.Value, Paths, Store, SeparateWalStore?.Uri, cancellationToken).ConfigureAwait(false);
        var recordedWalUri = RecordedWalUri(latest.Value);

        // One past the last WAL object stored (ids are dense: a writer stores them one at a time, in id order).
        var storedEnd = 0UL;
        if (options?.Source is null)
        {
            var walStore = WalStoreOf(latest.Value);
            var replayAfter = latest.Value.ReplayAfterWalId;
            var walObjects = await WalFence.ListAsync(walStore, Paths, replayAfter, cancellationToken).ConfigureAwait(false);
            storedEnd = WalRange.Check(
                walObjects, replayAfter, latest.Value.NextWalSstId, Manifests.PathOf(latest.Id), WalRecoveryMode.TolerateCorruptTail, Paths,
                walStore.Uri, adoptingWalStore: false).MissingFrom;
        }

        var id = Random.NextGuid();
        var now = Time.GetUtcNow();
        CheckpointInfo? created = null;
        var written = await Manifests.UpdateAsync(
            latest,
            version =>
            {
                var manifest = version.Value;
                ThrowIfUninitialized(version);
                if (!string.Equals(RecordedWalUri(manifest), recordedWalUri, StringComparison.Ordinal))
                {
                    throw new SlateDbException(
                        SlateDbErrorKind.Conflict,
                        $"The WAL store recorded for '{Path}' changed from '{recordedWalUri ?? "(none)"}' to '{RecordedWalUri(manifest) ?? "(none)"}' " +
                        "while the checkpoint was being created; nothing was written, create it again.");
                }

                if (storedEnd > manifest.NextWalSstId)
                {
                    manifest.NextWalSstId = storedEnd;
                }

                created = ManifestCheckpoints.Add(manifest, version.Id + 1, id, options, now, Path);
                return manifest;
            },
            cancellationToken).ConfigureAwait(false);
        Log.DetachedCheckpointCreated(Logger, Path, id, created!.ManifestId, written.Value.NextWalSstId);
        return new CheckpointResult { Id = id, ManifestId = created.ManifestId };
    }

    /// <summary>
    /// Sets checkpoint <paramref name="id"/> to expire <paramref name="lifetime"/> from now (rounded up to whole seconds),
    /// or never when <paramref name="lifetime"/> is null.
    /// </summary>
    /// <param name="id">The checkpoint.</param>
    /// <param name="lifetime">How long from now it lives; null: it never expires.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The checkpoint as written.</returns>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest or no
    /// checkpoint <paramref name="id"/>; nothing is written.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is not positive.</exception>
    public async Task<CheckpointInfo> RefreshCheckpointAsync(Guid id, TimeSpan? lifetime, CancellationToken cancellationToken = default)
    {
        var latest = await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        var now = Time.GetUtcNow();
        CheckpointInfo? refreshed = null;
        await Manifests.UpdateAsync(
            latest,
            version =>
            {
                refreshed = ManifestCheckpoints.Refresh(version.Value, id, lifetime, now, Path);
                return version.Value;
            },
            cancellationToken).ConfigureAwait(false);
        Log.CheckpointRefreshed(Logger, Path, id, refreshed!.ExpireTime);
        return refreshed;
    }

    /// <summary>Deletes checkpoint <paramref name="id"/>; deleting one that does not exist (or no longer does) is not an error.</summary>
    /// <param name="id">The checkpoint.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether this call removed it (false: it was not there, and nothing was written).</returns>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest.</exception>
    public async Task<bool> DeleteCheckpointAsync(Guid id, CancellationToken cancellationToken = default)
    {
        var latest = await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        var removed = false;
        await Manifests.UpdateAsync(
            latest,
            version =>
            {
                removed = ManifestCheckpoints.Remove(version.Value, id);
                return removed ? version.Value : null;
            },
            cancellationToken).ConfigureAwait(false);
        Log.CheckpointDeleted(Logger, Path, id, removed);
        return removed;
    }

    /// <summary>The checkpoints of the latest manifest; only those named <paramref name="name"/> when it is given.</summary>
    /// <param name="name">The name to match exactly (ordinal); null for all.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the database has no manifest.</exception>
    public async Task<IReadOnlyList<CheckpointInfo>> ListCheckpointsAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        var latest = await ReadLatestManifestAsync(cancellationToken).ConfigureAwait(false);
        return ManifestCheckpoints.List(latest.Value, name);
    }

    private void ThrowIfUninitialized(VersionedManifest version)
    {
        if (!version.Value.Initialized)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The database '{Path}' is a clone whose creation did not finish (manifest {version.Id} is not initialized), so it " +
                "cannot be checkpointed; re-run the clone creation (DbAdmin.CreateCloneAsync) first.");
        }
    }
}
