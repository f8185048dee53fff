using Microsoft.Extensions.Logging;
using SlateDb.Checkpoints;
using SlateDb.Compaction;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Gc;

// One garbage collection run over one database (docs/rfcs/0005-garbage-collection.md).
//
// Outline
//   now := the clock, sampled first → read the compactor state (before the manifest) → read the latest manifest and
//   remove its expired checkpoints (one CAS update) → list the manifests; read every protected one → delete manifests
//   (boundary first) → delete WAL SSTs → delete compacted SSTs → delete old compactor states (boundary first) → detach
//   clone parents nothing references any more.
//
// Invariants
//  1. Protected manifests: the latest L, every manifest a checkpoint of L pins, and every manifest that was the latest
//     within MinAge (its successor was written less than MinAge ago). Nothing any of them references is deleted, and a
//     checkpointed manifest that cannot be read aborts the run before anything is deleted.
//  2. A manifest is deleted only when it is below L, not checkpointed, older than MinAge and than the register's delete
//     floor (one minute, SequencedObjectStore invariant 4), and superseded for longer than MinAge; the GC boundary is
//     raised to the largest such id (monotonic CAS) before the first delete.
//  3. A WAL object is deleted only when it is older than MinAge, lies below L's replay_after_wal_id (that id is kept)
//     and outside every checkpointed manifest's (replay_after_wal_id, next_wal_sst_id), and is larger than a fence:
//     fences (and anything their size or smaller) are never deleted.
//  4. A compacted SST is deleted only when it is under this database's own prefix, referenced by no protected manifest,
//     held by no pinned snapshot of this process, older than MinAge, and its ULID time is below the cutoff
//     min(now - MinAge, the oldest running compaction job, the newest L0 of L (or L0's last-compacted marker; the epoch
//     when there never was an L0)). Since `now` is sampled before the compactor state is read, a job the state does not
//     show recorded itself after that sample and mints its outputs after it: they are at or above the cutoff.
//  5. Detach: an external database none of whose SSTs a protected manifest or a pinned snapshot references loses the
//     final checkpoint this database holds in it first, then its entry here (a crash between leaves a harmless entry).
//  6. A compactor state version is deleted only when a newer one is listed and it is older than MinAge and the delete
//     floor; the compactor state's GC boundary is raised to the largest such id (monotonic CAS) before the first delete,
//     so a stalled compactor that recreates one sees a conflict. Only the latest version is ever read (its running jobs, invariant 4).
//  7. Settled: after a real run that deleted nothing and held nothing back (no candidate spared only by MinAge, the
//     cutoff, a pin, the recently-latest rule or a failed detach), nothing becomes deletable until the latest manifest
//     changes (garbage only appears through a new manifest; a compactor's unpublished outputs are only spared). While
//     the latest id stays the one of that run, a run is one manifest read (expired checkpoints still removed) and
//     lists nothing; any change makes it a full run again.
//  8. A dry run writes and deletes nothing and reports what a real run at the same moment would delete.

/// <summary>Deletes what no manifest, checkpoint, clone or open scan needs any more.</summary>
internal sealed class GarbageCollector
{
    /// <summary>How many deletes run at once.</summary>
    public const int DeleteConcurrency = 8;

    private readonly IObjectStore _store;
    private readonly IObjectStore _walStore;
    private readonly ManifestStore _manifests;
    private readonly GcManifestAccess _access;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SnapshotPins? _pins;
    private ulong? _settledAt;
    private volatile bool _settled;
    private bool _heldBack;

    /// <param name="store">The main store (manifests, compacted SSTs, compactor state, and clone parents).</param>
    /// <param name="walStore">Where the WAL objects are (the main store unless the database has a separate one).</param>
    /// <param name="manifests">The database's manifests (listing, reads by id, the GC boundary).</param>
    /// <param name="access">How this process reads and changes the latest manifest.</param>
    /// <param name="time">The clock MinAge is measured on.</param>
    /// <param name="logger">Where the run reports.</param>
    /// <param name="pins">The snapshots open scans of this process hold, or null outside a database process.</param>
    public GarbageCollector(
        IObjectStore store, IObjectStore walStore, ManifestStore manifests, GcManifestAccess access, TimeProvider time, ILogger logger, SnapshotPins? pins)
    {
        _store = store;
        _walStore = walStore;
        _manifests = manifests;
        _access = access;
        _time = time;
        _logger = logger;
        _pins = pins;
    }

    private DbPaths Paths => _manifests.Paths;

    /// <summary>The id of the latest manifest the last run read (0 before the first run).</summary>
    public ulong LastManifestId { get; private set; }

    /// <summary>Whether the last full run settled (invariant 7): runs are one manifest read until the latest manifest changes.</summary>
    public bool IsSettled => _settled;

    /// <summary>Runs once.</summary>
    /// <exception cref="ArgumentOutOfRangeException">MinAge is negative.</exception>
    /// <exception cref="SlateDbException">A checkpointed manifest is missing (nothing was deleted), or a store or update error.</exception>
    public Task<GcResult> RunAsync(GcOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MinAge, TimeSpan.Zero, nameof(options.MinAge));
        return DbTracing.RunAsync(
            "slatedb.gc",
            Paths.Root,
            _store.Uri,
            async () =>
            {
                var result = await RunCoreAsync(options, cancellationToken).ConfigureAwait(false);
                DbMetrics.GcFinished(Paths.Root, result);
                return result;
            },
            (a, r) => a.SetTag("slatedb.gc.dry_run", options.DryRun)
                .SetTag("slatedb.gc.deleted_manifests", r.DeletedManifests)
                .SetTag("slatedb.gc.deleted_wal_ssts", r.DeletedWalSsts)
                .SetTag("slatedb.gc.deleted_ssts", r.DeletedSsts)
                .SetTag("slatedb.gc.deleted_checkpoints", r.DeletedCheckpoints));
    }

    private async Task<GcResult> RunCoreAsync(GcOptions options, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var cutoffTime = options.MinAge > now - DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : now - options.MinAge;

        var removedEarly = 0;
        if (!options.DryRun && _settledAt is { } settled)
        {
            // Invariant 7: one manifest read while nothing changed.
            var (quick, removed) = await RemoveExpiredCheckpointsAsync(now, dryRun: false, cancellationToken).ConfigureAwait(false);
            LastManifestId = quick.Id;
            if (removed == 0 && quick.Id == settled)
            {
                return new GcResult();
            }

            removedEarly = removed;
        }

        _settledAt = null;
        _settled = false;
        _heldBack = false;
        var compactions = await ReadCompactorStateAsync(cancellationToken).ConfigureAwait(false);
        var (latest, removedCheckpoints) = await RemoveExpiredCheckpointsAsync(now, options.DryRun, cancellationToken).ConfigureAwait(false);
        removedCheckpoints += removedEarly;
        LastManifestId = latest.Id;

        var listed = await ListManifestsAsync(cancellationToken).ConfigureAwait(false);
        var checkpointed = new HashSet<ulong>();
        foreach (var checkpoint in latest.Value.Checkpoints)
        {
            if (checkpoint.ManifestId != latest.Id)
            {
                checkpointed.Add(checkpoint.ManifestId);
            }
        }

        var recent = RecentlyLatest(listed, latest.Id, cutoffTime);
        var checkpointedManifests = await ReadCheckpointedAsync(latest.Value, checkpointed, cancellationToken).ConfigureAwait(false);
        var protectedManifests = new List<ManifestData>(1 + checkpointedManifests.Count + recent.Count) { latest.Value };
        protectedManifests.AddRange(checkpointedManifests);
        protectedManifests.AddRange(await ReadRecentAsync(recent, checkpointed, cancellationToken).ConfigureAwait(false));

        // Read after the manifest was applied to the read state (GcManifestAccess), so every older snapshot an open scan
        // iterates is pinned by now (SnapshotPins invariant 1).
        var pinned = _pins?.PinnedPaths() ?? [];

        // Manifest and compactor-state versions also wait out the register's floor (SequencedObjectStore invariant 4).
        var floor = SequencedObjectStore<ManifestData>.VersionDeleteFloor;
        var versionCutoff = now - DateTimeOffset.UnixEpoch < floor ? DateTimeOffset.UnixEpoch : (cutoffTime < now - floor ? cutoffTime : now - floor);
        var deletedManifests = await CollectManifestsAsync(listed, latest.Id, checkpointed, recent, versionCutoff, options.DryRun, cancellationToken).ConfigureAwait(false);
        var deletedWal = await CollectWalAsync(latest.Value, checkpointedManifests, cutoffTime, options.DryRun, cancellationToken).ConfigureAwait(false);
        var referenced = ReferencedSsts(protectedManifests);
        var sstCutoffMs = Math.Min(cutoffTime.ToUnixTimeMilliseconds(), Math.Min(OldestJobMs(compactions), NewestL0Ms(latest.Value)));
        var deletedSsts = await CollectSstsAsync(referenced, pinned, sstCutoffMs, cutoffTime, options.DryRun, cancellationToken).ConfigureAwait(false);
        var deletedStates = await CollectCompactorStatesAsync(versionCutoff, options.DryRun, cancellationToken).ConfigureAwait(false);
        if (!options.DryRun)
        {
            await DetachAsync(latest.Value, referenced, pinned, cancellationToken).ConfigureAwait(false);
        }

        var result = new GcResult
        {
            DeletedManifests = deletedManifests,
            DeletedWalSsts = deletedWal,
            DeletedSsts = deletedSsts,
            DeletedCheckpoints = removedCheckpoints,
            DeletedCompactorStates = deletedStates,
        };
        if (!options.DryRun && !_heldBack && result == new GcResult())
        {
            _settledAt = latest.Id;
            _settled = true;
        }

        Log.GcFinished(
            _logger, Paths.Root, options.DryRun ? "would delete" : "deleted", result.DeletedManifests, result.DeletedWalSsts, result.DeletedSsts,
            result.DeletedCheckpoints, result.DeletedCompactorStates);
        return result;
    }

    private SequencedObjectStore<CompactionsState> CompactorStates => CompactionJobRegistry.OpenStates(_store, Paths, _time);

    private async Task<CompactionsState?> ReadCompactorStateAsync(CancellationToken cancellationToken)
        => (await CompactorStates.TryReadLatestAsync(cancellationToken).ConfigureAwait(false))?.Value;

    // Every compactor state version below the newest listed one, once older than MinAge: nothing reads them (the
    // collector and the compactor read only the latest), and the boundary turns a stalled compactor's recreation of
    // one into a conflict.
    private async Task<int> CollectCompactorStatesAsync(DateTimeOffset cutoffTime, bool dryRun, CancellationToken cancellationToken)
    {
        var states = CompactorStates;
        var listed = new List<SequencedObjectInfo>();
        await foreach (var info in states.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            listed.Add(info);
        }

        var doomed = new List<string>();
        ulong highest = 0;
        for (var i = 0; i < listed.Count - 1; i++)
        {
            if (listed[i].Meta.LastModified < cutoffTime)
            {
                doomed.Add(listed[i].Meta.Path);
                highest = listed[i].Id;
            }
            else
            {
                _heldBack = true;
            }
        }

        if (doomed.Count > 0 && !dryRun)
        {
            await states.AdvanceGcBoundaryAsync(highest, cancellationToken).ConfigureAwait(false);
        }

        return await DeleteAsync(_store, doomed, dryRun, cancellationToken).ConfigureAwait(false);
    }

    // The latest manifest with its expired checkpoints gone: written (one CAS update) or, for a dry run, in memory only.
    private async Task<(VersionedManifest Latest, int Removed)> RemoveExpiredCheckpointsAsync(DateTimeOffset now, bool dryRun, CancellationToken cancellationToken)
    {
        var latest = await _access.ReadLatestAsync(cancellationToken).ConfigureAwait(false);
        var probe = latest.Value.Clone();
        var removed = ManifestCheckpoints.RemoveExpired(probe, now);
        if (removed == 0)
        {
            return (latest, 0);
        }

        if (dryRun)
        {
            return (new VersionedManifest(latest.Id, probe), removed);
        }

        removed = 0;
        var written = await _access.UpdateAsync(
            m =>
            {
                removed = ManifestCheckpoints.RemoveExpired(m, now);
                return removed > 0 ? m : null;
            },
            cancellationToken).ConfigureAwait(false);
        return (written, removed);
    }

    private async Task<SortedList<ulong, ObjectMeta>> ListManifestsAsync(CancellationToken cancellationToken)
    {
        var listed = new SortedList<ulong, ObjectMeta>();
        await foreach (var info in _manifests.ListAsync(ct: cancellationToken).ConfigureAwait(false))
        {
            listed[info.Id] = info.Meta;
        }

        return listed;
    }

    // Manifests below the latest whose successor was written after the cutoff: they were the latest within MinAge, so a
    // reader elsewhere may still be working from them.
    private static HashSet<ulong> RecentlyLatest(SortedList<ulong, ObjectMeta> listed, ulong latestId, DateTimeOffset cutoffTime)
    {
        var recent = new HashSet<ulong>();
        foreach (var (id, _) in listed)
        {
            if (id < latestId && listed.TryGetValue(id + 1, out var successor) && successor.LastModified > cutoffTime)
            {
                recent.Add(id);
            }
        }

        return recent;
    }

    private async Task<List<ManifestData>> ReadCheckpointedAsync(ManifestData latest, HashSet<ulong> ids, CancellationToken cancellationToken)
    {
        var found = new List<ManifestData>(ids.Count);
        foreach (var id in ids)
        {
            try
            {
                found.Add((await _manifests.ReadAsync(id, cancellationToken).ConfigureAwait(false)).Value);
            }
            catch (ObjectNotFoundException e)
            {
                var holders = string.Join(", ", latest.Checkpoints.Where(c => c.ManifestId == id).Select(c => c.Id.ToGuid()));
                throw new SlateDbException(
                    SlateDbErrorKind.Data,
                    $"Garbage collection of '{Paths.Root}' stopped before deleting anything: checkpoint {holders} pins manifest {id}, which is missing ({_manifests.PathOf(id)}).",
                    e);
            }
        }

        return found;
    }

    private async Task<List<ManifestData>> ReadRecentAsync(HashSet<ulong> recent, HashSet<ulong> checkpointed, CancellationToken cancellationToken)
    {
        var found = new List<ManifestData>(recent.Count);
        foreach (var id in recent)
        {
            if (checkpointed.Contains(id))
            {
                continue;
            }

            try
            {
                found.Add((await _manifests.ReadAsync(id, cancellationToken).ConfigureAwait(false)).Value);
            }
            catch (ObjectNotFoundException)
            {
                // Deleted by another collector since the listing: it no longer protects anything for anyone.
            }
        }

        return found;
    }

    private async Task<int> CollectManifestsAsync(
        SortedList<ulong, ObjectMeta> listed, ulong latestId, HashSet<ulong> checkpointed, HashSet<ulong> recent, DateTimeOffset cutoffTime, bool dryRun, CancellationToken cancellationToken)
    {
        var doomed = new List<string>();
        ulong highest = 0;
        foreach (var (id, meta) in listed)
        {
            if (id >= latestId || checkpointed.Contains(id))
            {
                continue;
            }

            if (!recent.Contains(id) && meta.LastModified < cutoffTime)
            {
                doomed.Add(meta.Path);
                highest = id;
            }
            else
            {
                _heldBack = true;
            }
        }

        if (doomed.Count > 0 && !dryRun)
        {
            await _manifests.AdvanceGcBoundaryAsync(highest, cancellationToken).ConfigureAwait(false);
        }

        return await DeleteAsync(_store, doomed, dryRun, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> CollectWalAsync(
        ManifestData latest, List<ManifestData> checkpointed, DateTimeOffset cutoffTime, bool dryRun, CancellationToken cancellationToken)
    {
        var doomed = new List<string>();
        await foreach (var meta in _walStore.ListAsync(Paths.WalPrefix, null, cancellationToken).ConfigureAwait(false))
        {
            if (!Paths.TryParseWalId(meta.Path, out var id))
            {
                continue;
            }

            // Ids list in ascending order: from here on everything is in the latest replay range (its first id included).
            if (id >= latest.ReplayAfterWalId)
            {
                break;
            }

            if (meta.Size <= WalFenceObject.Length || checkpointed.Any(m => m.ReplayAfterWalId < id && id < m.NextWalSstId))
            {
                continue;
            }

            if (meta.LastModified >= cutoffTime)
            {
                _heldBack = true;
                continue;
            }

            doomed.Add(meta.Path);
        }

        return await DeleteAsync(_walStore, doomed, dryRun, cancellationToken).ConfigureAwait(false);
    }

    private static HashSet<Ulid> ReferencedSsts(List<ManifestData> manifests)
    {
        var ids = new HashSet<Ulid>();
        foreach (var manifest in manifests)
        {
            foreach (var handle in manifest.L0)
            {
                ids.Add(handle.Id.ToUlid());
            }

            foreach (var run in manifest.SortedRuns)
            {
                foreach (var handle in run.Ssts)
                {
                    ids.Add(handle.Id.ToUlid());
                }
            }
        }

        return ids;
    }

    private static long OldestJobMs(CompactionsState? state)
    {
        var oldest = long.MaxValue;
        if (state is not null)
        {
            foreach (var job in state.Jobs)
            {
                oldest = Math.Min(oldest, job.Id.ToUlid().TimestampMs);
            }
        }

        return oldest;
    }

    // The newest L0 bounds uploads the writer has not published yet (its ULIDs only grow); with no L0, the marker of the
    // newest one compacted; with neither, nothing was ever flushed, so no SST may be collected yet.
    private static long NewestL0Ms(ManifestData latest)
    {
        if (latest.L0.Count > 0)
        {
            return latest.L0.Max(h => h.Id.ToUlid().TimestampMs);
        }

        return latest.L0LastCompacted is { } marker ? marker.ToUlid().TimestampMs : 0;
    }

    private async Task<int> CollectSstsAsync(
        HashSet<Ulid> referenced, HashSet<string> pinned, long cutoffMs, DateTimeOffset cutoffTime, bool dryRun, CancellationToken cancellationToken)
    {
        var doomed = new List<string>();
        await foreach (var meta in _store.ListAsync(Paths.CompactedPrefix, null, cancellationToken).ConfigureAwait(false))
        {
            if (!Paths.TryParseCompactedId(meta.Path, out var id) || referenced.Contains(id))
            {
                continue;
            }

            if (id.TimestampMs < cutoffMs && meta.LastModified < cutoffTime && !pinned.Contains(meta.Path))
            {
                doomed.Add(meta.Path);
            }
            else
            {
                _heldBack = true;
            }
        }

        return await DeleteAsync(_store, doomed, dryRun, cancellationToken).ConfigureAwait(false);
    }

    private async Task DetachAsync(ManifestData latest, HashSet<Ulid> referenced, HashSet<string> pinned, CancellationToken cancellationToken)
    {
        foreach (var external in latest.ExternalDbs)
        {
            if (external.FinalCheckpointId is null)
            {
                continue;
            }

            var parent = new DbPaths(external.Path);
            if (external.SstIds.Any(id => referenced.Contains(id.ToUlid()) || pinned.Contains(parent.CompactedSstPath(id.ToUlid()))))
            {
                continue;
            }

            var finalId = external.FinalCheckpointId.ToGuid();
            try
            {
                await new ManifestStore(_store, external.Path, _time)
                    .UpdateAsync(v => ManifestCheckpoints.Remove(v.Value, finalId) ? v.Value : null, cancellationToken)
                    .ConfigureAwait(false);
                await _access.UpdateAsync(
                    m =>
                    {
                        var index = m.ExternalDbs.ToList().FindIndex(e => e.Path == external.Path && external.FinalCheckpointId.Equals(e.FinalCheckpointId));
                        if (index < 0)
                        {
                            return null;
                        }

                        m.ExternalDbs.RemoveAt(index);
                        return m;
                    },
                    cancellationToken).ConfigureAwait(false);
                Log.GcDetached(_logger, Paths.Root, external.Path, finalId);
            }
            catch (Exception e) when (e is not OperationCanceledException && ManifestKeeper.IsRetryable(e))
            {
                Log.GcDetachFailed(_logger, Paths.Root, external.Path, e);
                _heldBack = true;
            }
        }
    }

    private async Task<int> DeleteAsync(IObjectStore store, List<string> paths, bool dryRun, CancellationToken cancellationToken)
    {
        if (dryRun || paths.Count == 0)
        {
            return paths.Count;
        }

        await Parallel.ForEachAsync(
            paths,
            new ParallelOptions { MaxDegreeOfParallelism = DeleteConcurrency, CancellationToken = cancellationToken },
            async (path, ct) =>
            {
                await store.DeleteAsync(path, ct).ConfigureAwait(false);
                Log.GcDeleted(_logger, Paths.Root, path);
            }).ConfigureAwait(false);
        return paths.Count;
    }
}
