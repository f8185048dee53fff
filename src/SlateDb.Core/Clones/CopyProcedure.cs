using System.Collections.Concurrent;
using SlateDb.Checkpoints;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Clones;

/// <summary>How far a copy is: objects and bytes, in total and done (copied now, or found already copied).</summary>
internal readonly record struct CopyCounts(long TotalObjects, long DoneObjects, long TotalBytes, long DoneBytes);

/// <summary>What a copy did.</summary>
/// <param name="CheckpointId">The source checkpoint the copy was made from.</param>
/// <param name="SourceManifestId">The source manifest that checkpoint pins.</param>
/// <param name="SstsCopied">SSTs stored by this run.</param>
/// <param name="SstsAlreadyPresent">SSTs an earlier run had stored (same size), not copied again.</param>
/// <param name="WalObjectsCopied">WAL objects in the destination's WAL store.</param>
/// <param name="WalObjectsSkipped">Leading WAL ids missing from the source (rule A).</param>
/// <param name="BytesWritten">Bytes this run stored.</param>
/// <param name="ReplayAfterWalId">The destination's replay range starts after this WAL id.</param>
/// <param name="NextWalSstId">The destination's next WAL id.</param>
/// <param name="AlreadyDone">The destination already held this very copy; nothing was written.</param>
internal sealed record CopyOutcome(
    Guid? CheckpointId,
    ulong SourceManifestId,
    int SstsCopied,
    int SstsAlreadyPresent,
    int WalObjectsCopied,
    int WalObjectsSkipped,
    long BytesWritten,
    ulong ReplayAfterWalId,
    ulong NextWalSstId,
    bool AlreadyDone);

// A self-contained copy of a database (or one of its checkpoints) at another path or in another object store: every
// SST the pinned manifest references (its parents' included) under the destination's own compacted/, the WAL range,
// and a fresh manifest 1 written last.
//
// Outline
//   0. the destination has a manifest: the same state as the source's (pinned or current) → done; else an error
//   1. pin the source (SourcePin: the given checkpoint, or a short-lived one, refreshed while the copy runs and removed
//      at the end)
//   2. LIST what the destination already holds; copy each SST not there with the same size (bounded concurrency;
//      store-side COPY when both are the same store, else one GET and one PUT of the same buffer)
//   3. copy the WAL range (WalRangeCopier, rule A)
//   4. verify every SST in the destination: its size, every block checksum and the rows against its properties and the
//      manifest's row count; every problem is collected and reported with its path
//   5. write manifest 1: initialized, epochs and sequence state kept, checkpoints and external_dbs cleared, the
//      destination WAL store's URI when it has a separate one
//
// Invariants
//  1. The destination is not a database until step 5, so a crash anywhere before leaves objects only: a re-run skips
//     what is already there and finishes.
//  2. The source is never changed except for the short-lived checkpoint; bad input fails before that.
//  3. Objects are copied byte for byte; a manifest size that disagrees with the object is corruption, named by path.

/// <summary>Copies a database to another path or store.</summary>
internal sealed class CopyProcedure
{
    private readonly DbPaths _source;
    private readonly IObjectStore _sourceStore;
    private readonly IObjectStore? _sourceWal;
    private readonly DbPaths _dest;
    private readonly IObjectStore _destStore;
    private readonly IObjectStore? _destWal;
    private readonly CloneServices _services;
    private readonly Action<CopyCounts>? _progress;
    private readonly ManifestStore _sourceManifests;
    private readonly ManifestStore _destManifests;
    private long _totalObjects;
    private long _doneObjects;
    private long _totalBytes;
    private long _doneBytes;
    private long _written;
    private long _lastRefreshTicks;
    private int _refreshing;

    /// <param name="sourcePath">The source database path.</param>
    /// <param name="sourceStore">The source main store.</param>
    /// <param name="sourceWal">The source's separate WAL store; null when its WAL lives in its main store.</param>
    /// <param name="destPath">The destination database path.</param>
    /// <param name="destStore">The destination main store.</param>
    /// <param name="destWal">The destination's separate WAL store; null to keep its WAL in its main store.</param>
    /// <param name="services">Clock, ids, logging, concurrency.</param>
    /// <param name="progress">Called after each object with the counts so far (from several threads).</param>
    /// <exception cref="ArgumentException">A path is invalid, or the destination's objects would be the source's.</exception>
    public CopyProcedure(
        string sourcePath,
        IObjectStore sourceStore,
        IObjectStore? sourceWal,
        string destPath,
        IObjectStore destStore,
        IObjectStore? destWal,
        CloneServices services,
        Action<CopyCounts>? progress)
    {
        DbPaths.ValidateDbPath(sourcePath, nameof(sourcePath));
        DbPaths.ValidateDbPath(destPath, nameof(destPath));
        var samePath = string.Equals(sourcePath, destPath, StringComparison.Ordinal);
        if (samePath && (SameStore(sourceStore, destStore) || SameStore(sourceWal ?? sourceStore, destWal ?? destStore)))
        {
            throw new ArgumentException(
                $"The destination '{destPath}' in '{destStore.Uri}' (WAL in '{(destWal ?? destStore).Uri}') is the source itself " +
                $"('{sourcePath}' in '{sourceStore.Uri}', WAL in '{(sourceWal ?? sourceStore).Uri}'); copy to another path or store.",
                nameof(destPath));
        }

        _source = new DbPaths(sourcePath);
        _sourceStore = sourceStore;
        _sourceWal = sourceWal;
        _dest = new DbPaths(destPath);
        _destStore = destStore;
        _destWal = destWal;
        _services = services;
        _progress = progress;
        _sourceManifests = new ManifestStore(sourceStore, sourcePath, services.Time);
        _destManifests = new ManifestStore(destStore, destPath, services.Time);
    }

    private IObjectStore SourceWal => _sourceWal ?? _sourceStore;

    private IObjectStore DestWal => _destWal ?? _destStore;

    /// <summary>Runs the copy (see the outline).</summary>
    /// <param name="checkpoint">The source checkpoint to copy; null for the source's current state.</param>
    /// <param name="ct">Cancels the copy (a re-run resumes).</param>
    public Task<CopyOutcome> RunAsync(Guid? checkpoint, CancellationToken ct)
        => DbTracing.RunAsync(
            "slatedb.copy",
            _dest.Root,
            _destStore.Uri,
            () => RunCoreAsync(checkpoint, ct),
            (a, o) => a.SetTag("slatedb.copy.source", _source.Root)
                .SetTag("slatedb.copy.source_store", _sourceStore.Uri)
                .SetTag("slatedb.ssts.copied", o.SstsCopied)
                .SetTag("slatedb.ssts.already_present", o.SstsAlreadyPresent)
                .SetTag("slatedb.wal.copied_objects", o.WalObjectsCopied)
                .SetTag("slatedb.bytes_written", o.BytesWritten)
                .SetTag("slatedb.already_done", o.AlreadyDone));

    private async Task<CopyOutcome> RunCoreAsync(Guid? checkpoint, CancellationToken ct)
    {
        if (await _destManifests.TryReadLatestAsync(ct).ConfigureAwait(false) is { } existing)
        {
            var (current, manifestId) = await CurrentStateAsync(checkpoint, ct).ConfigureAwait(false);
            if (!SameState(existing.Value, current))
            {
                throw Different(existing.Id);
            }

            return new CopyOutcome(checkpoint, manifestId, 0, 0, 0, 0, 0, existing.Value.ReplayAfterWalId, existing.Value.NextWalSstId, AlreadyDone: true);
        }

        var pin = await SourcePin.PinAsync(_sourceManifests, SourceWal, _sourceWal?.Uri, checkpoint, "source", _services, ct).ConfigureAwait(false);
        _lastRefreshTicks = _services.Time.GetUtcNow().UtcTicks;
        try
        {
            return await CopyPinnedAsync(pin, ct).ConfigureAwait(false);
        }
        finally
        {
            if (pin.ShortLived)
            {
                await RemoveCheckpointAsync(pin.CheckpointId).ConfigureAwait(false);
            }
        }
    }

    private async Task<CopyOutcome> CopyPinnedAsync(PinnedSource pin, CancellationToken ct)
    {
        var manifest = pin.Manifest;
        var tables = Tables(manifest);
        var last = manifest.NextWalSstId - 1;
        var wal = await WalFence.ListAsync(SourceWal, _source, manifest.ReplayAfterWalId, ct).ConfigureAwait(false);
        wal.RemoveAll(w => w.Id > last);
        _totalObjects = tables.Count + wal.Count;
        _totalBytes = tables.Sum(t => t.Size) + wal.Sum(w => Math.Max(0, w.Size));

        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var meta in _destStore.ListAsync(_dest.CompactedPrefix, null, ct).ConfigureAwait(false))
        {
            present[meta.Path] = meta.Size;
        }

        var alreadyPresent = 0;
        await Parallel.ForEachAsync(
            tables,
            new ParallelOptions { MaxDegreeOfParallelism = _services.MaxConcurrency, CancellationToken = ct },
            async (table, token) =>
            {
                if (present.TryGetValue(table.DestPath, out var size) && size == table.Size)
                {
                    Interlocked.Increment(ref alreadyPresent);
                }
                else
                {
                    await CopySstAsync(table, token).ConfigureAwait(false);
                }

                await ObjectDoneAsync(table.Size, pin, token).ConfigureAwait(false);
            }).ConfigureAwait(false);

        var walCopier = new WalRangeCopier(SourceWal, _source, DestWal, _dest, _services.MaxConcurrency, size => ObjectDone(size));
        var walCopy = await walCopier.CopyAsync(manifest.ReplayAfterWalId, last, ct).ConfigureAwait(false);
        Interlocked.Add(ref _written, walCopy.BytesWritten);

        await VerifyAsync(tables, ct).ConfigureAwait(false);

        var first = manifest.Clone();
        first.Checkpoints.Clear();
        first.ExternalDbs.Clear();
        first.Initialized = true;
        first.ReplayAfterWalId = Math.Max(first.ReplayAfterWalId, walCopy.ReplayAfterWalId);
        if (_destWal is not null)
        {
            first.WalObjectStoreUri = _destWal.Uri;
        }
        else
        {
            first.ClearWalObjectStoreUri();
        }

        var written = await _destManifests.CreateOrReadLatestAsync(first, ct).ConfigureAwait(false);
        if (!SameState(written.Value, first))
        {
            throw Different(written.Id);
        }

        var copied = tables.Count - alreadyPresent;
        Log.CopyFinished(
            _services.Logger, _source.Root, _sourceStore.Uri, _dest.Root, _destStore.Uri, copied, alreadyPresent, walCopy.Copied, _written, written.Id, pin.CheckpointId);
        return new CopyOutcome(
            pin.CheckpointId, pin.ManifestId, copied, alreadyPresent, walCopy.Copied, walCopy.Skipped, _written,
            written.Value.ReplayAfterWalId, written.Value.NextWalSstId, AlreadyDone: false);
    }

    private async Task CopySstAsync(TableCopy table, CancellationToken ct)
    {
        if (SameStore(_sourceStore, _destStore))
        {
            await _destStore.CopyAsync(table.SourcePath, table.DestPath, ct).ConfigureAwait(false);
        }
        else
        {
            var data = await _sourceStore.GetAsync(table.SourcePath, null, ct).ConfigureAwait(false);
            if (data.Bytes.Length != table.Size)
            {
                throw new CorruptionException(
                    table.SourcePath, $"the manifest of '{_source.Root}' says {table.Size} bytes, but the object in '{_sourceStore.Uri}' has {data.Bytes.Length}");
            }

            await _destStore.PutAsync(table.DestPath, data.Bytes, PutMode.Overwrite, ct).ConfigureAwait(false);
        }

        Interlocked.Add(ref _written, table.Size);
    }

    private void ObjectDone(long size)
    {
        var done = Interlocked.Increment(ref _doneObjects);
        var bytes = Interlocked.Add(ref _doneBytes, size);
        var totalObjects = Math.Max(Volatile.Read(ref _totalObjects), done);
        var totalBytes = Math.Max(Volatile.Read(ref _totalBytes), bytes);
        _progress?.Invoke(new CopyCounts(totalObjects, done, totalBytes, bytes));
    }

    // Reports the object, and keeps a short-lived pin alive: refreshed once half its lifetime has passed.
    private async Task ObjectDoneAsync(long size, PinnedSource pin, CancellationToken ct)
    {
        ObjectDone(size);
        var now = _services.Time.GetUtcNow();
        if (!pin.ShortLived || now.UtcTicks - Volatile.Read(ref _lastRefreshTicks) < SourcePin.ShortLivedLifetime.Ticks / 2
            || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            await _sourceManifests.UpdateAsync(
                version =>
                {
                    ManifestCheckpoints.Refresh(version.Value, pin.CheckpointId, SourcePin.ShortLivedLifetime, now, _source.Root);
                    return version.Value;
                },
                ct).ConfigureAwait(false);
            Volatile.Write(ref _lastRefreshTicks, now.UtcTicks);
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private async Task VerifyAsync(List<TableCopy> tables, CancellationToken ct)
    {
        var problems = new ConcurrentBag<(string Path, string Message)>();
        await Parallel.ForEachAsync(
            tables,
            new ParallelOptions { MaxDegreeOfParallelism = _services.MaxConcurrency, CancellationToken = ct },
            async (table, token) =>
            {
                try
                {
                    var meta = await _destStore.HeadAsync(table.DestPath, token).ConfigureAwait(false);
                    if (meta.Size != table.Size)
                    {
                        problems.Add((table.DestPath, $"{meta.Size} bytes, but the manifest says {table.Size}"));
                        return;
                    }

                    var reader = await SstReader.OpenAsync(_destStore, table.DestPath, meta.Size, cache: null, token).ConfigureAwait(false);
                    await reader.VerifyAsync(token).ConfigureAwait(false);
                    if ((ulong)reader.Info.RowCount != table.RowCount)
                    {
                        problems.Add((table.DestPath, $"{reader.Info.RowCount} rows, but the manifest says {table.RowCount}"));
                    }
                }
                catch (ObjectNotFoundException)
                {
                    problems.Add((table.DestPath, "missing"));
                }
                catch (CorruptionException e)
                {
                    problems.Add((table.DestPath, e.Detail));
                }
            }).ConfigureAwait(false);

        if (!problems.IsEmpty)
        {
            var listed = problems.OrderBy(p => p.Path, StringComparer.Ordinal).Select(p => $"'{p.Path}': {p.Message}");
            throw new SlateDbException(
                SlateDbErrorKind.Data,
                $"The copy of '{_source.Root}' at '{_dest.Root}' in '{_destStore.Uri}' does not verify ({problems.Count} problem(s)); " +
                $"no manifest was written: {string.Join("; ", listed)}");
        }
    }

    // The state a finished copy must hold: the checkpoint's manifest, or the source's current state including WAL a
    // live writer stored but has not published (as SourcePin would pin it). Read-only.
    private async Task<(ManifestData State, ulong ManifestId)> CurrentStateAsync(Guid? checkpoint, CancellationToken ct)
    {
        var latest = await SourcePin.ReadInitializedAsync(_sourceManifests, "source", ct).ConfigureAwait(false);
        if (checkpoint is { } given)
        {
            var entry = ManifestCheckpoints.Find(latest.Value, given) ?? throw ManifestCheckpoints.Missing(_source.Root, given, "the checkpoint of the source to use");
            return (await SourcePin.ReadPinnedAsync(_sourceManifests, given, entry.ManifestId, ct).ConfigureAwait(false), entry.ManifestId);
        }

        var state = latest.Value.Clone();
        state.NextWalSstId = Math.Max(state.NextWalSstId, await SourcePin.StoredWalEndAsync(_sourceManifests, SourceWal, latest, ct).ConfigureAwait(false));
        return (state, latest.Id);
    }

    // Two manifests hold the same data: the same SSTs in the same places of the tree, the same sequence and WAL state.
    private static bool SameState(ManifestData a, ManifestData b)
        => a.LastL0Seq == b.LastL0Seq && a.NextWalSstId == b.NextWalSstId && a.L0.Count == b.L0.Count
           && a.L0.Zip(b.L0).All(p => p.First.Id.Equals(p.Second.Id))
           && a.SortedRuns.Count == b.SortedRuns.Count
           && a.SortedRuns.Zip(b.SortedRuns).All(p => p.First.Id == p.Second.Id && p.First.Ssts.Select(s => s.Id).SequenceEqual(p.Second.Ssts.Select(s => s.Id)));

    private SlateDbException Different(ulong manifestId) => new(
        SlateDbErrorKind.Invalid,
        $"The destination '{_dest.Root}' in '{_destStore.Uri}' already holds a different database (manifest {manifestId} does not " +
        $"hold the state of '{_source.Root}' being copied); copy to an empty path.");

    private async Task RemoveCheckpointAsync(Guid id)
    {
        try
        {
            await _sourceManifests.UpdateAsync(version => ManifestCheckpoints.Remove(version.Value, id) ? version.Value : null, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is ObjectStoreException or SlateDbException)
        {
            Log.CopyCheckpointNotRemoved(_services.Logger, _source.Root, id, e);
        }
    }

    // Every SST the manifest references, once, with where it is (under a parent's path for a clone's inherited SSTs).
    private List<TableCopy> Tables(ManifestData manifest)
    {
        var owners = new Dictionary<Ulid, DbPaths>();
        foreach (var db in manifest.ExternalDbs)
        {
            var paths = new DbPaths(db.Path);
            foreach (var id in db.SstIds)
            {
                owners[id.ToUlid()] = paths;
            }
        }

        var seen = new HashSet<Ulid>();
        var tables = new List<TableCopy>();
        foreach (var handle in manifest.L0.Concat(manifest.SortedRuns.SelectMany(run => run.Ssts)))
        {
            var id = handle.Id.ToUlid();
            if (seen.Add(id))
            {
                var owner = owners.GetValueOrDefault(id, _source);
                tables.Add(new TableCopy(owner.CompactedSstPath(id), _dest.CompactedSstPath(id), checked((long)handle.Size), handle.RowCount));
            }
        }

        return tables;
    }

    private static bool SameStore(IObjectStore a, IObjectStore b) => string.Equals(a.Uri, b.Uri, StringComparison.Ordinal);

    private sealed record TableCopy(string SourcePath, string DestPath, long Size, ulong RowCount);
}
