using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;

namespace SlateDb.Wal;

/// <summary>What replay found.</summary>
/// <param name="Rows">Rows applied to memtables.</param>
/// <param name="Objects">WAL objects read (fences included).</param>
/// <param name="DroppedTail">The corrupt tail object dropped under <see cref="WalRecoveryMode.TolerateCorruptTail"/>, if any.</param>
/// <param name="LastWalId">The last WAL id replayed completely (for a read-only view: where the WAL currently ends).</param>
internal sealed record ReplayResult(long Rows, int Objects, string? DroppedTail, ulong LastWalId);

// Replay rebuilds the memtables from the WAL objects in (replay_after_wal_id, fence): rows with seq <= last_l0_seq
// are already in L0 and are skipped; valid fence objects hold no rows. Objects are fetched a few ahead.
//
// Invariants
//  1. Every id in the range is accounted for: a missing id is a CorruptionException (the WAL was truncated) unless
//     the manifest shows a newer writer, then FencedException. The only ids not read are a missing tail that WalRange
//     accepted (TolerateCorruptTail, or a WAL store being adopted).
//  2. Sequence numbers grow across objects; an object that goes backwards is corrupt.
//  3. Memtables are frozen only between batches (a batch never spans objects, and rows of one seq stay together),
//     stamped with the last object replayed completely, so replay_after_wal_id never passes an unreplayed row.
//  4. An object is verified whole (every block checksum, every row decoded, its seqs) before any of its rows is
//     applied, in both modes: a bad object contributes nothing, so a failed open leaves nothing of it in L0.
//  5. An object is a fence only if WalFenceObject verifies it (and its epoch is older than this writer's); a zero-byte
//     object is a bad object. Strict: any bad object fails the open, naming it. TolerateCorruptTail: the first bad
//     object is dropped only when every later object in the range is a fence; anything else after it fails the open.
//  6. A read-only view (no manifest claim) replays the same way, except that a fence of any epoch is skipped and a
//     missing object is the current end of the WAL (the writer has not stored it yet, or a newer manifest made it
//     garbage): replay stops there and reports the last id it replayed completely.

/// <summary>Replays the WAL into the write loop's memtables on open, or into a read-only view's memtables as it follows.</summary>
internal sealed class WalReplayer
{
    private const int Prefetch = 4;

    private readonly IObjectStore _walStore;
    private readonly DbPaths _paths;
    private readonly EngineServices _services;
    private readonly FenceableManifest? _manifest;
    private readonly IReplayTarget _target;
    private readonly Func<CancellationToken, ValueTask> _waitForRoom;
    private ulong _lastSeq;

    public WalReplayer(
        IObjectStore walStore,
        DbPaths paths,
        EngineServices services,
        FenceableManifest? manifest,
        IReplayTarget target,
        Func<CancellationToken, ValueTask> waitForRoom)
    {
        _walStore = walStore;
        _paths = paths;
        _services = services;
        _manifest = manifest;
        _target = target;
        _waitForRoom = waitForRoom;
    }

    // A read-only view never drops anything: what it cannot read fails its refresh.
    private bool Strict => _manifest is null || _services.Settings.WalRecoveryMode == WalRecoveryMode.Strict;

    /// <summary>Replays the ids of <paramref name="range"/> below <paramref name="fenceId"/>.</summary>
    /// <param name="range">The checked range (its missing tail is skipped).</param>
    /// <param name="fenceId">This writer's fence.</param>
    /// <param name="lastL0Seq">Rows at or below this seq are already in L0.</param>
    /// <param name="listed">The WAL objects the open sequence listed (ids in the range and beyond).</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    public async Task<ReplayResult> ReplayAsync(
        WalRange range, ulong fenceId, ulong lastL0Seq, IReadOnlyList<WalObjectInfo> listed, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<ulong, long>(listed.Count);
        foreach (var info in listed)
        {
            sizes[info.Id] = info.Size;
        }

        var pending = new Queue<Task<ObjectData>?>();
        var nextToFetch = NextId(range, range.ReplayAfter);
        long rows = 0;
        var objects = 0;
        var lastComplete = range.ReplayAfter;
        (string Path, long Bytes, string Detail)? dropped = null;
        try
        {
            for (var id = nextToFetch; id < fenceId; id = NextId(range, id))
            {
                while (nextToFetch < fenceId && pending.Count < Prefetch)
                {
                    pending.Enqueue(StartFetchAsync(nextToFetch, sizes, cancellationToken));
                    nextToFetch = NextId(range, nextToFetch);
                }

                var fetch = pending.Dequeue();
                objects++;
                var path = _paths.WalSstPath(id);
                var (found, data) = fetch is null ? (true, default) : await GetAsync(id, fetch, fenceId, cancellationToken).ConfigureAwait(false);
                if (!found)
                {
                    break;
                }

                var bad = await CheckAsync(data, path, cancellationToken).ConfigureAwait(false);
                if (bad is not null)
                {
                    if (Strict)
                    {
                        throw new CorruptionException(
                            path, $"{bad.Detail} (WAL replay, WalRecoveryMode.Strict; TolerateCorruptTail drops a corrupt last WAL object)", bad);
                    }

                    if (dropped is { } first)
                    {
                        throw new CorruptionException(first.Path, $"{first.Detail} (WAL replay: {WalRange.NotTheTail(path)})");
                    }

                    dropped = (path, data.Length, bad.Detail);
                    continue;
                }

                if (data.Length == WalFenceObject.Length)
                {
                    if (dropped is null)
                    {
                        lastComplete = id;
                    }

                    continue;
                }

                if (dropped is { } before)
                {
                    throw new CorruptionException(before.Path, $"{before.Detail} (WAL replay: {WalRange.NotTheTail(path)})");
                }

                rows += await ApplyAsync(SstReader.Open(data, path), lastL0Seq, lastComplete).ConfigureAwait(false);
                lastComplete = id;
                _target.EndReplayedBatch(lastComplete);
                await _waitForRoom(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Fetches started ahead of a failure are observed, never left to fault unobserved.
            foreach (var fetch in pending)
            {
                _ = fetch?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        if (dropped is { } tail)
        {
            Log.WalTailDropped(_services.Logger, _services.DbPath, tail.Path, tail.Bytes, tail.Detail);
            _services.Metrics.WalObjectDropped();
            return new ReplayResult(rows, objects, tail.Path, lastComplete);
        }

        return new ReplayResult(rows, objects, null, lastComplete);
    }

    // The id after `id` in the replay order: the missing tail the range accepted is skipped.
    private static ulong NextId(WalRange range, ulong id)
    {
        var next = id + 1;
        return next == range.MissingFrom ? range.FirstFenceId : next;
    }

    private Task<ObjectData>? StartFetchAsync(ulong id, Dictionary<ulong, long> sizes, CancellationToken cancellationToken)
        => sizes.TryGetValue(id, out var size) && size == 0
            ? null
            : _walStore.GetAsync(_paths.WalSstPath(id), null, cancellationToken);

    // Found = false: the object is missing and this is a read-only view, for which that is the end of the WAL.
    private async Task<(bool Found, ReadOnlyMemory<byte> Bytes)> GetAsync(ulong id, Task<ObjectData> fetch, ulong fenceId, CancellationToken cancellationToken)
    {
        try
        {
            return (true, (await fetch.ConfigureAwait(false)).Bytes);
        }
        catch (ObjectNotFoundException e)
        {
            if (_manifest is null)
            {
                return (false, default);
            }

            await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
            throw new CorruptionException(
                _paths.WalSstPath(id),
                $"missing from the WAL store '{_walStore.Uri}' while later WAL objects exist (this writer's fence is WAL id {fenceId}); the WAL was truncated",
                e);
        }
    }

    // Verifies one whole object without applying it: null when it is a valid fence or WAL SST, else what failed.
    private async Task<CorruptionException?> CheckAsync(ReadOnlyMemory<byte> data, string path, CancellationToken cancellationToken)
    {
        try
        {
            if (data.IsEmpty)
            {
                throw new CorruptionException(path, WalRange.EmptyDetail);
            }

            if (data.Length == WalFenceObject.Length)
            {
                var epoch = WalFenceObject.Decode(data.Span, path);
                if (_manifest is not null && epoch >= _manifest.WriterEpoch)
                {
                    await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
                    throw new CorruptionException(path, $"a WAL fence of writer epoch {epoch}, not older than this writer's epoch {_manifest.WriterEpoch}");
                }

                return null;
            }

            await VerifyAsync(SstReader.Open(data, path), path).ConfigureAwait(false);
            return null;
        }
        catch (CorruptionException e)
        {
            return e;
        }
    }

    // Reads every row (every block checksum and decode) and checks that seqs never go backwards.
    private async Task VerifyAsync(SstReader reader, string path)
    {
        var lastSeq = _lastSeq;
        var first = true;
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                var seq = iterator.Current.Seq;
                if (seq < lastSeq || (first && seq == lastSeq && lastSeq != 0))
                {
                    throw new CorruptionException(path, $"sequence numbers go backwards: row seq {seq} after seq {lastSeq} (WAL replay)");
                }

                first = false;
                lastSeq = seq;
            }
        }
    }

    // Applies the rows of one verified WAL object; returns how many were newer than L0.
    private async Task<long> ApplyAsync(SstReader reader, ulong lastL0Seq, ulong lastComplete)
    {
        long applied = 0;
        var first = true;
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                var row = iterator.Current;
                if (!first && row.Seq != _lastSeq)
                {
                    _target.EndReplayedBatch(lastComplete);   // between two batches of this object
                }

                first = false;
                _lastSeq = row.Seq;
                if (row.Seq > lastL0Seq)
                {
                    _target.ApplyReplayed(row);
                    applied++;
                }
            }
        }

        return applied;
    }
}
