using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Write;

namespace SlateDb.Wal;

/// <summary>What replay found.</summary>
/// <param name="Rows">Rows applied to memtables.</param>
/// <param name="Objects">WAL objects read (fences included).</param>
/// <param name="DroppedTail">The corrupt tail object dropped under <see cref="WalRecoveryMode.TolerateCorruptTail"/>, if any.</param>
internal sealed record ReplayResult(long Rows, int Objects, string? DroppedTail);

// Replay rebuilds the memtables from the WAL objects in (replay_after_wal_id, fence): rows with seq <= last_l0_seq
// are already in L0 and are skipped; zero-byte objects are fences (no rows). Objects are fetched a few ahead.
//
// Invariants
//  1. Every id in the range is accounted for: a missing id is a CorruptionException (the WAL was truncated) unless
//     the manifest shows a newer writer, then FencedException.
//  2. Sequence numbers grow across objects; an object that goes backwards is corrupt.
//  3. Memtables are frozen only between batches (a batch never spans objects, and rows of one seq stay together),
//     stamped with the last object replayed completely, so replay_after_wal_id never passes an unreplayed row.
//  4. Strict: any object that fails verification fails the open, naming it. TolerateCorruptTail: the first bad object
//     is dropped only when no later object holds data (fences do not count), and nothing of it is applied (the whole
//     object is verified before its rows are).

/// <summary>Replays the WAL into the write loop's memtables on open.</summary>
internal sealed class WalReplayer
{
    private const int Prefetch = 4;

    private readonly IObjectStore _walStore;
    private readonly DbPaths _paths;
    private readonly EngineServices _services;
    private readonly FenceableManifest _manifest;
    private readonly WriteLoop _target;
    private readonly Func<CancellationToken, ValueTask> _waitForRoom;
    private ulong _lastSeq;

    public WalReplayer(
        IObjectStore walStore,
        DbPaths paths,
        EngineServices services,
        FenceableManifest manifest,
        WriteLoop target,
        Func<CancellationToken, ValueTask> waitForRoom)
    {
        _walStore = walStore;
        _paths = paths;
        _services = services;
        _manifest = manifest;
        _target = target;
        _waitForRoom = waitForRoom;
    }

    /// <summary>Replays ids in (<paramref name="replayAfter"/>, <paramref name="fenceId"/>).</summary>
    /// <param name="replayAfter">The manifest's replay_after_wal_id.</param>
    /// <param name="fenceId">This writer's fence.</param>
    /// <param name="lastL0Seq">Rows at or below this seq are already in L0.</param>
    /// <param name="listed">The WAL objects the open sequence listed (ids in the range and beyond).</param>
    /// <param name="cancellationToken">Cancels the replay.</param>
    public async Task<ReplayResult> ReplayAsync(
        ulong replayAfter, ulong fenceId, ulong lastL0Seq, IReadOnlyList<WalObjectInfo> listed, CancellationToken cancellationToken)
    {
        var sizes = new Dictionary<ulong, long>(listed.Count);
        foreach (var info in listed)
        {
            sizes[info.Id] = info.Size;
        }

        var pending = new Queue<(ulong Id, Task<ObjectData>? Fetch)>();
        var nextToFetch = replayAfter + 1;
        long rows = 0;
        var objects = 0;
        var lastComplete = replayAfter;
        try
        {
            for (var id = replayAfter + 1; id < fenceId; id++)
            {
                while (nextToFetch < fenceId && pending.Count < Prefetch)
                {
                    pending.Enqueue((nextToFetch, StartFetchAsync(nextToFetch, sizes, cancellationToken)));
                    nextToFetch++;
                }

                var (_, fetch) = pending.Dequeue();
                objects++;
                var data = fetch is null ? default : await GetAsync(id, fetch, fenceId, cancellationToken).ConfigureAwait(false);
                if (data.IsEmpty)
                {
                    lastComplete = id;
                    continue;
                }

                var path = _paths.WalSstPath(id);
                SstReader reader;
                try
                {
                    reader = SstReader.Open(data, path);
                    if (_services.Settings.WalRecoveryMode == WalRecoveryMode.TolerateCorruptTail)
                    {
                        await VerifyAsync(reader).ConfigureAwait(false);
                    }
                }
                catch (CorruptionException e)
                {
                    if (_services.Settings.WalRecoveryMode == WalRecoveryMode.Strict)
                    {
                        throw new CorruptionException(
                            e.ObjectPath,
                            $"{e.Detail} (WAL replay, WalRecoveryMode.Strict; TolerateCorruptTail drops a corrupt last WAL object)",
                            e);
                    }

                    if (LaterDataId(id, fenceId, sizes) is { } later)
                    {
                        throw new CorruptionException(
                            e.ObjectPath,
                            $"{e.Detail} (WAL replay: it is not the last WAL object, '{_paths.WalSstPath(later)}' holds later data, so " +
                            "TolerateCorruptTail cannot drop it)",
                            e);
                    }

                    Log.WalTailDropped(_services.Logger, _services.DbPath, path, data.Length, e.Detail);
                    _services.Metrics.WalObjectDropped();
                    return new ReplayResult(rows, objects, path);
                }

                rows += await ApplyAsync(reader, path, lastL0Seq, lastComplete).ConfigureAwait(false);
                lastComplete = id;
                _target.EndReplayedBatch(lastComplete);
                await _waitForRoom(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            // Fetches started ahead of a failure are observed, never left to fault unobserved.
            foreach (var (_, fetch) in pending)
            {
                _ = fetch?.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }

        return new ReplayResult(rows, objects, null);
    }

    private Task<ObjectData>? StartFetchAsync(ulong id, Dictionary<ulong, long> sizes, CancellationToken cancellationToken)
        => sizes.TryGetValue(id, out var size) && size == 0
            ? null
            : _walStore.GetAsync(_paths.WalSstPath(id), null, cancellationToken);

    private async Task<ReadOnlyMemory<byte>> GetAsync(ulong id, Task<ObjectData> fetch, ulong fenceId, CancellationToken cancellationToken)
    {
        try
        {
            return (await fetch.ConfigureAwait(false)).Bytes;
        }
        catch (ObjectNotFoundException e)
        {
            await _manifest.RefreshAsync(cancellationToken).ConfigureAwait(false);
            throw new CorruptionException(
                _paths.WalSstPath(id),
                $"missing from the WAL store '{_walStore.Uri}' while later WAL objects exist (this writer's fence is WAL id {fenceId}); the WAL was truncated",
                e);
        }
    }

    private static async Task VerifyAsync(SstReader reader)
    {
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
            }
        }
    }

    private static ulong? LaterDataId(ulong id, ulong fenceId, Dictionary<ulong, long> sizes)
    {
        for (var later = id + 1; later < fenceId; later++)
        {
            if (!sizes.TryGetValue(later, out var size) || size != 0)
            {
                return later;
            }
        }

        return null;
    }

    // Applies the rows of one WAL object; returns how many were newer than L0.
    private async Task<long> ApplyAsync(SstReader reader, string path, ulong lastL0Seq, ulong lastComplete)
    {
        long applied = 0;
        var first = true;
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                var row = iterator.Current;
                if (row.Seq < _lastSeq || (first && row.Seq == _lastSeq && _lastSeq != 0))
                {
                    throw new CorruptionException(path, $"sequence numbers go backwards: row seq {row.Seq} after seq {_lastSeq} (WAL replay)");
                }

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
