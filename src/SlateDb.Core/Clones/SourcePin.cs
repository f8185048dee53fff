using SlateDb.Checkpoints;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Clones;

/// <summary>The state of a source database a clone or copy is made from: the checkpoint that pins it and the manifest it pins.</summary>
/// <param name="CheckpointId">The checkpoint (given, or created short-lived).</param>
/// <param name="ManifestId">The manifest the checkpoint pins.</param>
/// <param name="Manifest">That manifest (treat as immutable).</param>
/// <param name="ShortLived">Whether the checkpoint was created here with <see cref="SourcePin.ShortLivedLifetime"/>.</param>
internal sealed record PinnedSource(Guid CheckpointId, ulong ManifestId, ManifestData Manifest, bool ShortLived);

// Pinning a source database (the parent of a clone, the source of a copy) so GC keeps what the pinned manifest names.
//
// Invariants
//  1. Nothing is written before every check passed: the source exists, is initialized, the given checkpoint exists, and
//     the WAL store given for it is the one its manifest records (WAL objects of the pinned range are read from there).
//  2. A short-lived checkpoint pins the very manifest that carries it; that manifest also covers the WAL objects a live
//     writer stored but has not yet published: next_wal_sst_id = max(current, one past the last stored WAL id), in the same
//     CAS update (a stray object or a hole in the listing is an error, never a longer range). A WAL PUT is create-if-absent at dense ids, stored one at a time, so the listed ids are a prefix of what
//     the writer will store and the pinned range names only objects that exist (or were wiped after an L0 flush).
//     Raising next_wal_sst_id in the live manifest is harmless: the writer only ever raises it too (max).

/// <summary>Reads, checks and pins a source database.</summary>
internal static class SourcePin
{
    /// <summary>The lifetime of a checkpoint created to pin the current state.</summary>
    public static readonly TimeSpan ShortLivedLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Reads the latest manifest of an existing, initialized database.</summary>
    /// <param name="manifests">The database's manifests.</param>
    /// <param name="role">What the database is to the caller ("parent", "source"), for messages.</param>
    /// <param name="ct">Cancels the read.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) no manifest, or not initialized.</exception>
    public static async Task<VersionedManifest> ReadInitializedAsync(ManifestStore manifests, string role, CancellationToken ct)
    {
        var latest = await manifests.TryReadLatestAsync(ct).ConfigureAwait(false)
                     ?? throw new SlateDbException(
                         SlateDbErrorKind.Invalid,
                         $"The {role} database '{manifests.DbPath}' does not exist in the object store '{manifests.ObjectStore.Uri}' (it has no manifest).");
        if (!latest.Value.Initialized)
        {
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The {role} database '{manifests.DbPath}' is a clone whose creation did not finish (manifest {latest.Id} is not initialized); " +
                "re-run its clone creation first.");
        }

        return latest;
    }

    /// <summary>
    /// Checks that the WAL store given for a database is the one <paramref name="manifest"/> records: none recorded and
    /// none given (the WAL is in the main store), or the same URI.
    /// </summary>
    /// <param name="manifest">The manifest whose WAL range will be read.</param>
    /// <param name="dbPath">The database path, for messages.</param>
    /// <param name="mainStoreUri">The main store's URI, for messages.</param>
    /// <param name="walStoreUri">The URI of the separate WAL store given; null when none (or the main store) was given.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) the given store is not the recorded one.</exception>
    public static void CheckWalStore(ManifestData manifest, string dbPath, string mainStoreUri, string? walStoreUri)
    {
        var recorded = manifest.HasWalObjectStoreUri ? manifest.WalObjectStoreUri : null;
        if (string.Equals(recorded, walStoreUri, StringComparison.Ordinal))
        {
            return;
        }

        var message = (recorded, walStoreUri) switch
        {
            (null, _) => $"'{dbPath}' keeps its WAL in its main object store '{mainStoreUri}' (its manifest records no WAL store), " +
                         $"but the WAL object store '{walStoreUri}' was given for it; give none.",
            (_, null) => $"'{dbPath}' keeps its WAL in the object store '{recorded}' (recorded in its manifest), but no WAL object " +
                         $"store was given for it; give the store '{recorded}'.",
            _ => $"'{dbPath}' keeps its WAL in the object store '{recorded}' (recorded in its manifest), but the WAL object store " +
                 $"'{walStoreUri}' was given for it; give the store '{recorded}'.",
        };
        throw new SlateDbException(SlateDbErrorKind.Invalid, message);
    }

    /// <summary>
    /// Pins the database: with <paramref name="checkpoint"/>, the manifest that checkpoint pins; without, a new
    /// checkpoint of <see cref="ShortLivedLifetime"/> on the current state (see the invariants above).
    /// </summary>
    /// <param name="manifests">The database's manifests (main store).</param>
    /// <param name="walStore">Where its WAL objects are (the separate WAL store, else the main store).</param>
    /// <param name="walStoreUri">The separate WAL store's URI, null when the WAL is in the main store.</param>
    /// <param name="checkpoint">The checkpoint to use; null to create a short-lived one.</param>
    /// <param name="role">What the database is to the caller, for messages.</param>
    /// <param name="services">Clock and ids.</param>
    /// <param name="ct">Cancels the pin.</param>
    /// <exception cref="SlateDbException">(<see cref="SlateDbErrorKind.Invalid"/>) a check failed; nothing was written.</exception>
    public static async Task<PinnedSource> PinAsync(
        ManifestStore manifests,
        IObjectStore walStore,
        string? walStoreUri,
        Guid? checkpoint,
        string role,
        CloneServices services,
        CancellationToken ct)
    {
        var path = manifests.DbPath;
        var mainUri = manifests.ObjectStore.Uri;
        var latest = await ReadInitializedAsync(manifests, role, ct).ConfigureAwait(false);
        if (checkpoint is { } given)
        {
            var entry = ManifestCheckpoints.Find(latest.Value, given) ?? throw ManifestCheckpoints.Missing(path, given, $"the checkpoint of the {role} to use");
            var pinned = await ReadPinnedAsync(manifests, given, entry.ManifestId, ct).ConfigureAwait(false);
            CheckWalStore(pinned, path, mainUri, walStoreUri);
            return new PinnedSource(given, entry.ManifestId, pinned, ShortLived: false);
        }

        CheckWalStore(latest.Value, path, mainUri, walStoreUri);
        var storedEnd = await StoredWalEndAsync(manifests, walStore, latest, ct).ConfigureAwait(false);
        var id = services.Random.NextGuid();
        var options = new CheckpointOptions { Lifetime = ShortLivedLifetime };
        var written = await manifests.UpdateAsync(
            version =>
            {
                var manifest = version.Value;
                if (!manifest.Initialized)
                {
                    throw new SlateDbException(SlateDbErrorKind.Invalid, $"The {role} database '{path}' is not initialized (manifest {version.Id}).");
                }

                if (ManifestCheckpoints.Find(manifest, id) is not null)
                {
                    return null;    // an earlier attempt of this update was written, its reply lost
                }

                CheckWalStore(manifest, path, mainUri, walStoreUri);
                manifest.NextWalSstId = Math.Max(manifest.NextWalSstId, storedEnd);
                ManifestCheckpoints.Add(manifest, version.Id + 1, id, options, services.Time.GetUtcNow(), path);
                return manifest;
            },
            ct).ConfigureAwait(false);
        var pinnedId = ManifestCheckpoints.Find(written.Value, id)!.ManifestId;
        var pinnedManifest = pinnedId == written.Id ? written.Value : await ReadPinnedAsync(manifests, id, pinnedId, ct).ConfigureAwait(false);
        return new PinnedSource(id, pinnedId, pinnedManifest, ShortLived: true);
    }

    /// <summary>
    /// One past the last WAL object stored after <paramref name="latest"/>'s replay range start (ids are dense), settled
    /// by <see cref="WalRange.Check"/>: a stray object or a hole is an error naming it, never a longer range.
    /// </summary>
    /// <exception cref="CorruptionException">A stray WAL object, or ids missing before a later object.</exception>
    public static async Task<ulong> StoredWalEndAsync(ManifestStore manifests, IObjectStore walStore, VersionedManifest latest, CancellationToken ct)
    {
        var replayAfter = latest.Value.ReplayAfterWalId;
        var listed = await WalFence.ListAsync(walStore, manifests.Paths, replayAfter, ct).ConfigureAwait(false);
        return WalRange.Check(
            listed, replayAfter, latest.Value.NextWalSstId, manifests.PathOf(latest.Id), WalRecoveryMode.TolerateCorruptTail, manifests.Paths,
            walStore.Uri, adoptingWalStore: false).MissingFrom;
    }

    /// <summary>Reads manifest <paramref name="manifestId"/>, which checkpoint <paramref name="checkpoint"/> pins.</summary>
    /// <exception cref="CorruptionException">The pinned manifest is gone (a checkpointed manifest must never be collected).</exception>
    public static async Task<ManifestData> ReadPinnedAsync(ManifestStore manifests, Guid checkpoint, ulong manifestId, CancellationToken ct)
    {
        try
        {
            return (await manifests.ReadAsync(manifestId, ct).ConfigureAwait(false)).Value;
        }
        catch (ObjectNotFoundException e)
        {
            throw new CorruptionException(
                manifests.PathOf(manifestId), $"checkpoint {checkpoint} of '{manifests.DbPath}' pins this manifest, but it does not exist", e);
        }
    }
}
