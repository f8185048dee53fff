using SlateDb.Checkpoints;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;

namespace SlateDb.Clones;

/// <summary>What a clone creation did.</summary>
/// <param name="SourceCheckpointId">The parent checkpoint the clone was made from.</param>
/// <param name="FinalCheckpointId">The permanent checkpoint the clone owns in its parent.</param>
/// <param name="ManifestId">The clone's latest manifest.</param>
/// <param name="ReplayAfterWalId">The clone's replay range starts after this WAL id.</param>
/// <param name="NextWalSstId">The clone's next WAL id.</param>
/// <param name="WalObjectsCopied">WAL objects in the clone's WAL store (copied now or by an interrupted run).</param>
/// <param name="WalObjectsSkipped">Leading WAL ids missing from the parent's WAL store (rule A).</param>
/// <param name="BytesWritten">WAL bytes this run stored.</param>
/// <param name="AlreadyDone">The clone was finished before this call; nothing was written.</param>
internal sealed record CloneOutcome(
    Guid SourceCheckpointId,
    Guid FinalCheckpointId,
    ulong ManifestId,
    ulong ReplayAfterWalId,
    ulong NextWalSstId,
    int WalObjectsCopied,
    int WalObjectsSkipped,
    long BytesWritten,
    bool AlreadyDone);

// Creating a clone (DESIGN.md "Clones"): a new database at another path of the same main store that reads its
// parent's SSTs in place and starts with the parent's pinned state.
//
// Outline
//   0. the clone path has a manifest: it must name the parent (and the given checkpoint): initialized → done
//      (idempotent); not initialized → resume at 2. No manifest: the clone path (and its WAL location) must be empty.
//   1. pin the parent (SourcePin: the given checkpoint, or a short-lived one), write the clone's manifest 1
//      (ManifestDefaults.ForClone: not initialized, parents in external_dbs, checkpoints and WAL URI cleared)
//   2. every external db (the parent and its own parents) gets the clone's permanent final checkpoint, pinning the
//      manifest its source checkpoint pins (one CAS update each; already there → nothing written)
//   3. copy WAL (replay_after_wal_id, next_wal_sst_id - 1] from the parent's WAL store to the clone's (WalRangeCopier,
//      rule A)
//   4. write the next manifest: initialized, replay_after_wal_id from the copy, the clone's WAL store URI when it has
//      a separate one (rule C)
//
// Invariants
//  1. Bad input (same path, missing or unfinished parent, unknown checkpoint, a clone path holding another database,
//     a parent WAL store that is not the recorded one) fails before anything is written, naming paths, ids and URIs.
//  2. Every step is idempotent, and a crash anywhere leaves either nothing at the clone path (the parent may carry a
//     short-lived checkpoint, which expires) or an uninitialized clone that a re-run finishes: writers refuse it.
//  3. The final checkpoint is written before the WAL copy, so from then on GC keeps the parent manifest, its SSTs and
//     its WAL range however long the copy takes; the source checkpoint only needs to outlive step 2.

/// <summary>Creates (or finishes) a clone.</summary>
internal sealed class CloneProcedure
{
    private readonly DbPaths _clone;
    private readonly DbPaths _parent;
    private readonly IObjectStore _store;
    private readonly IObjectStore? _cloneWalStore;
    private readonly IObjectStore? _parentWalStore;
    private readonly CloneServices _services;
    private readonly ManifestStore _cloneManifests;
    private readonly ManifestStore _parentManifests;

    /// <param name="clonePath">The clone's database path.</param>
    /// <param name="parentPath">The parent's database path.</param>
    /// <param name="store">The main store both live in.</param>
    /// <param name="cloneWalStore">The clone's separate WAL store; null when its WAL lives in the main store.</param>
    /// <param name="parentWalStore">The parent's separate WAL store; null when its WAL lives in the main store.</param>
    /// <param name="services">Clock, ids, logging, concurrency.</param>
    /// <exception cref="ArgumentException">A path is invalid, or both are the same.</exception>
    public CloneProcedure(
        string clonePath, string parentPath, IObjectStore store, IObjectStore? cloneWalStore, IObjectStore? parentWalStore, CloneServices services)
    {
        DbPaths.ValidateDbPath(clonePath, nameof(clonePath));
        DbPaths.ValidateDbPath(parentPath, nameof(parentPath));
        if (string.Equals(clonePath, parentPath, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The clone path '{clonePath}' is the parent's own path; a clone needs a path of its own.", nameof(clonePath));
        }

        _clone = new DbPaths(clonePath);
        _parent = new DbPaths(parentPath);
        _store = store;
        _cloneWalStore = cloneWalStore;
        _parentWalStore = parentWalStore;
        _services = services;
        _cloneManifests = new ManifestStore(store, clonePath, services.Time);
        _parentManifests = new ManifestStore(store, parentPath, services.Time);
    }

    private IObjectStore CloneWal => _cloneWalStore ?? _store;

    private IObjectStore ParentWal => _parentWalStore ?? _store;

    /// <summary>Runs the procedure (see the outline).</summary>
    /// <param name="parentCheckpoint">The parent checkpoint to clone; null for the parent's current state.</param>
    /// <param name="ct">Cancels the run (a re-run resumes).</param>
    public Task<CloneOutcome> RunAsync(Guid? parentCheckpoint, CancellationToken ct)
        => DbTracing.RunAsync(
            "slatedb.clone",
            _clone.Root,
            _store.Uri,
            () => RunCoreAsync(parentCheckpoint, ct),
            (a, o) => a.SetTag("slatedb.clone.parent", _parent.Root)
                .SetTag("slatedb.wal.copied_objects", o.WalObjectsCopied)
                .SetTag("slatedb.wal.skipped_objects", o.WalObjectsSkipped)
                .SetTag("slatedb.bytes_written", o.BytesWritten)
                .SetTag("slatedb.already_done", o.AlreadyDone));

    private async Task<CloneOutcome> RunCoreAsync(Guid? parentCheckpoint, CancellationToken ct)
    {
        var existing = await _cloneManifests.TryReadLatestAsync(ct).ConfigureAwait(false);
        var checkedParent = false;
        if (existing is null)
        {
            await EnsureEmptyAsync(ct).ConfigureAwait(false);
            var pin = await SourcePin.PinAsync(_parentManifests, ParentWal, _parentWalStore?.Uri, parentCheckpoint, "parent", _services, ct)
                .ConfigureAwait(false);
            var first = ManifestDefaults.ForClone(pin.Manifest, _parent.Root, pin.CheckpointId, _services.Random.NextGuid(), _services.Random);
            existing = await _cloneManifests.CreateOrReadLatestAsync(first, ct).ConfigureAwait(false);
            checkedParent = existing.Id == 1 && existing.Value.Equals(first);
            Log.CloneStarted(_services.Logger, _clone.Root, _parent.Root, pin.CheckpointId, pin.ManifestId);
        }

        var self = ParentEntry(existing, parentCheckpoint);
        if (existing.Value.Initialized)
        {
            SourcePin.CheckWalStore(existing.Value, _clone.Root, _store.Uri, _cloneWalStore?.Uri);
            return Outcome(existing, self, 0, 0, 0, alreadyDone: true);
        }

        if (!checkedParent)
        {
            await CheckParentWalStoreAsync(self, ct).ConfigureAwait(false);
        }

        foreach (var db in existing.Value.ExternalDbs)
        {
            await PinInParentAsync(db, ct).ConfigureAwait(false);
        }

        var copier = new WalRangeCopier(ParentWal, _parent, CloneWal, _clone, _services.MaxConcurrency);
        var copy = await copier.CopyAsync(existing.Value.ReplayAfterWalId, existing.Value.NextWalSstId - 1, ct).ConfigureAwait(false);
        var done = await _cloneManifests.UpdateAsync(
            existing,
            version =>
            {
                var manifest = version.Value;
                if (manifest.Initialized)
                {
                    return null;
                }

                manifest.Initialized = true;
                manifest.ReplayAfterWalId = Math.Max(manifest.ReplayAfterWalId, copy.ReplayAfterWalId);
                if (_cloneWalStore is not null)
                {
                    manifest.WalObjectStoreUri = _cloneWalStore.Uri;
                }
                else
                {
                    manifest.ClearWalObjectStoreUri();
                }

                return manifest;
            },
            ct).ConfigureAwait(false);
        Log.CloneFinished(_services.Logger, _clone.Root, _parent.Root, copy.Copied, copy.Skipped, done.Value.ReplayAfterWalId, done.Value.NextWalSstId);
        return Outcome(done, self, copy.Copied, copy.Skipped, copy.BytesWritten, alreadyDone: false);
    }

    private static CloneOutcome Outcome(VersionedManifest manifest, ExternalDb self, int copied, int skipped, long bytes, bool alreadyDone) => new(
        self.SourceCheckpointId.ToGuid(),
        self.FinalCheckpointId.ToGuid(),
        manifest.Id,
        manifest.Value.ReplayAfterWalId,
        manifest.Value.NextWalSstId,
        copied,
        skipped,
        bytes,
        alreadyDone);

    // A fresh clone path holds nothing: no object under it in the main store, no WAL object in the clone's WAL store.
    private async Task EnsureEmptyAsync(CancellationToken ct)
    {
        var places = _cloneWalStore is null ? new[] { (_store, _clone.Root + "/") } : [(_store, _clone.Root + "/"), (_cloneWalStore, _clone.WalPrefix)];
        foreach (var (store, prefix) in places)
        {
            await foreach (var meta in store.ListAsync(prefix, null, ct).ConfigureAwait(false))
            {
                throw new SlateDbException(
                    SlateDbErrorKind.Invalid,
                    $"The clone path '{_clone.Root}' already holds objects of a different database (first: '{meta.Path}' in '{store.Uri}') " +
                    "but no manifest; choose another clone path or delete those objects.");
            }
        }
    }

    // The clone's entry for the parent; its absence (or another source checkpoint) means another database.
    private ExternalDb ParentEntry(VersionedManifest manifest, Guid? parentCheckpoint)
    {
        var entry = manifest.Value.ExternalDbs.LastOrDefault(db => string.Equals(db.Path, _parent.Root, StringComparison.Ordinal));
        if (entry is null || entry.FinalCheckpointId is null
            || (parentCheckpoint is { } given && entry.SourceCheckpointId.ToGuid() != given))
        {
            var what = entry is null
                ? $"it is not a clone of '{_parent.Root}'"
                : $"it is a clone of '{_parent.Root}' made from checkpoint {entry.SourceCheckpointId.ToGuid()}, not {parentCheckpoint}";
            throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The clone path '{_clone.Root}' already holds a different database (manifest {manifest.Id}: {what}); choose another clone path.");
        }

        return entry;
    }

    // Resuming: the parent must still be there, and the WAL store given for it must be the one the pinned manifest
    // (the final checkpoint's, else the source checkpoint's) records.
    private async Task CheckParentWalStoreAsync(ExternalDb self, CancellationToken ct)
    {
        var latest = await SourcePin.ReadInitializedAsync(_parentManifests, "parent", ct).ConfigureAwait(false);
        var final = self.FinalCheckpointId.ToGuid();
        var source = self.SourceCheckpointId.ToGuid();
        var entry = ManifestCheckpoints.Find(latest.Value, final) ?? ManifestCheckpoints.Find(latest.Value, source)
                    ?? throw CannotFinish(_parent.Root, source);
        var pinned = await SourcePin.ReadPinnedAsync(_parentManifests, entry.Id.ToGuid(), entry.ManifestId, ct).ConfigureAwait(false);
        SourcePin.CheckWalStore(pinned, _parent.Root, _store.Uri, _parentWalStore?.Uri);
    }

    // Adds the clone's final checkpoint to one of its parents, pinning what the source checkpoint pins.
    private async Task PinInParentAsync(ExternalDb db, CancellationToken ct)
    {
        var final = db.FinalCheckpointId.ToGuid();
        var source = db.SourceCheckpointId.ToGuid();
        var name = "clone " + _clone.Root;
        var options = new CheckpointOptions { Source = source, Name = name.Length <= ManifestCheckpoints.MaxNameLength ? name : null };
        var manifests = new ManifestStore(_store, db.Path, _services.Time);
        await manifests.UpdateAsync(
            version =>
            {
                var manifest = version.Value;
                if (ManifestCheckpoints.Find(manifest, final) is not null)
                {
                    return null;
                }

                if (ManifestCheckpoints.Find(manifest, source) is null)
                {
                    throw CannotFinish(db.Path, source);
                }

                ManifestCheckpoints.Add(manifest, version.Id + 1, final, options, _services.Time.GetUtcNow(), db.Path);
                return manifest;
            },
            ct).ConfigureAwait(false);
    }

    private SlateDbException CannotFinish(string parentPath, Guid source) => new(
        SlateDbErrorKind.Invalid,
        $"The clone '{_clone.Root}' cannot be finished: '{parentPath}' no longer has checkpoint {source}, the state the clone was " +
        $"made from (a checkpoint created for a clone expires after {SourcePin.ShortLivedLifetime.TotalMinutes} minutes). " +
        $"Delete the objects under '{_clone.Root}/' and create the clone again.");
}
