using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Cdc;

// One pass of the change feed over the WAL store: from a cursor, one batch per WAL object in id order, and a signal
// when the WAL currently ends.
//
// Invariants
//  1. No object is skipped: the feed reads exactly the ids cursor.WalId + 1, + 2, ... (from Beginning: the oldest
//     listed id, then the ids after it). An id it cannot read is the tail only when nothing says it was written;
//     otherwise it is a WalTruncatedException naming the id and the cursor.
//  2. "Written" means: the manifest read before the LIST that lacks the id records next_wal_sst_id above it (the writer
//     stored it before that manifest was written, so a later LIST must show it), or the LIST shows a later id (writers
//     store ids in order, one at a time), or the id was listed and its GET found nothing (it was removed meanwhile).
//     From Beginning, an object that vanishes before anything was delivered only moves the start: the feed lists again.
//  3. Sequence numbers grow across objects: an object whose first seq is not above the previous object's last is
//     corruption, as it is for replay.
//  4. Objects are fetched up to Prefetch ahead, but delivered in id order; fetches left in flight when the feed stops
//     are observed, never left to fault unobserved.

/// <summary>Reads WAL objects after a cursor as change batches (the machinery of <see cref="WalReader.ReadChangesAsync"/>).</summary>
internal sealed class ChangeFeed
{
    private const int Prefetch = 4;

    private readonly IObjectStore _walStore;
    private readonly ManifestStore _manifests;
    private readonly DbPaths _paths;
    private readonly Queue<(ulong Id, Task<ObjectData> Fetch)> _ahead = new();
    private readonly Queue<ulong> _toFetch = new();
    private ulong _lastMaxSeq;

    public ChangeFeed(IObjectStore walStore, ManifestStore manifests, ChangeCursor from)
    {
        _walStore = walStore;
        _manifests = manifests;
        _paths = manifests.Paths;
        Cursor = from;
    }

    /// <summary>The cursor after the last batch returned.</summary>
    public ChangeCursor Cursor { get; private set; }

    /// <summary>The next batch, or null when no further WAL object is stored yet (the tail).</summary>
    /// <exception cref="WalTruncatedException">The next WAL object was written and is gone.</exception>
    /// <exception cref="CorruptionException">The next WAL object failed verification.</exception>
    public async Task<ChangeBatch?> NextAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_ahead.Count == 0 && _toFetch.Count == 0 && !await ListAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            while (_toFetch.Count > 0 && _ahead.Count < Prefetch)
            {
                var id = _toFetch.Dequeue();
                _ahead.Enqueue((id, _walStore.GetAsync(_paths.WalSstPath(id), null, cancellationToken)));
            }

            var (walId, fetch) = _ahead.Dequeue();
            ReadOnlyMemory<byte> data;
            try
            {
                data = (await fetch.ConfigureAwait(false)).Bytes;
            }
            catch (ObjectNotFoundException) when (Cursor.IsBeginning)
            {
                Abandon();   // the oldest object was collected before anything was delivered: start from the oldest again
                continue;
            }
            catch (ObjectNotFoundException e)
            {
                Abandon();
                throw Truncated(walId, ": it was listed a moment ago and has since been removed (garbage collection)", e);
            }

            var path = _paths.WalSstPath(walId);
            var decoded = await WalObjectDecoder.DecodeAsync(walId, data, path, Cursor).ConfigureAwait(false);
            if (!decoded.Batch.IsFence)
            {
                if (_lastMaxSeq != 0 && decoded.MinSeq <= _lastMaxSeq)
                {
                    throw new CorruptionException(
                        path, $"sequence numbers go backwards: its first row has seq {decoded.MinSeq}, the WAL object before it ends at seq {_lastMaxSeq} (change feed)");
                }

                _lastMaxSeq = decoded.MaxSeq;
            }

            Cursor = decoded.Batch.Cursor;
            return decoded.Batch;
        }
    }

    /// <summary>Observes the fetches still in flight and forgets them (the feed stopped, or starts over).</summary>
    public void Abandon()
    {
        while (_ahead.TryDequeue(out var entry))
        {
            _ = entry.Fetch.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        _toFetch.Clear();
    }

    // Reads the manifest, then lists the WAL after the cursor, and queues the run of ids that comes next; false at the tail.
    private async Task<bool> ListAsync(CancellationToken cancellationToken)
    {
        var manifest = await _manifests.TryReadLatestAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new SlateDbException(
                SlateDbErrorKind.Invalid,
                $"The database '{_paths.Root}' has no manifest any more (nothing under '{_paths.ManifestPrefix}'); the change feed cannot go on.");
        var written = manifest.Value.NextWalSstId;
        var listed = await WalFence.ListAsync(_walStore, _paths, Cursor.WalId, cancellationToken).ConfigureAwait(false);
        if (listed.Count == 0 && Cursor.IsBeginning)
        {
            return false;
        }

        var next = Cursor.IsBeginning ? listed[0].Id : Cursor.WalId + 1;
        foreach (var info in listed)
        {
            if (info.Id != next)
            {
                break;
            }

            _toFetch.Enqueue(info.Id);
            next++;
        }

        if (_toFetch.Count > 0)
        {
            return true;
        }

        if (listed.Count > 0)
        {
            throw Truncated(next, $" while the later WAL object '{_paths.WalSstPath(listed[0].Id)}' exists (writers store WAL ids in order)", null);
        }

        if (next < written)
        {
            throw Truncated(next, $" while manifest {manifest.Id} records WAL ids up to {written - 1} as written (next_wal_sst_id {written})", null);
        }

        return false;
    }

    private WalTruncatedException Truncated(ulong id, string detail, Exception? inner)
    {
        var path = _paths.WalSstPath(id);
        return new WalTruncatedException(id, Cursor, path, $"missing from the WAL store '{_walStore.Uri}'{detail}", inner);
    }
}
