namespace SlateDb.Transactions;

// The read seqs of the open snapshots and transactions of this writer, and the retention boundary they imply.
//
// Invariants
//  1. A registration reads its seq under the lock, so a reader of the boundary (the L0 flush, the manifest update of
//     an L0 publication) either sees the registration or ran before it; in the latter case the registered seq is the
//     visible seq of a later moment, at or above every seq in a memtable frozen before that moment.
//  2. RetentionSeq(limit) is min(open seqs, limit): every open snapshot reads at or above it. Versions with a larger
//     seq, plus the newest at or below it, are all a reader of this writer can see; flushes and compactions keep those.
//  3. The boundary published in the manifest (recent_snapshot_min_seq) never goes down: a snapshot registered after
//     a publication reads at the visible seq, which is at or above the last seq of every memtable published so far.

/// <summary>The seqs open snapshots and transactions read at.</summary>
internal sealed class SnapshotRegistry
{
    private readonly SortedDictionary<ulong, int> _open = [];
    private readonly Lock _lock = new();

    /// <summary>How many snapshots and transactions are open.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _open.Values.Sum();
            }
        }
    }

    /// <summary>Registers a reader at the seq <paramref name="readSeq"/> returns (read under the lock); returns that seq.</summary>
    public ulong Register(Func<ulong> readSeq)
    {
        lock (_lock)
        {
            var seq = readSeq();
            _open[seq] = _open.GetValueOrDefault(seq) + 1;
            return seq;
        }
    }

    /// <summary>Releases one registration at <paramref name="seq"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing is registered at <paramref name="seq"/>.</exception>
    public void Release(ulong seq)
    {
        lock (_lock)
        {
            if (!_open.TryGetValue(seq, out var count))
            {
                throw new InvalidOperationException($"No snapshot is registered at seq {seq}.");
            }

            if (count == 1)
            {
                _open.Remove(seq);
            }
            else
            {
                _open[seq] = count - 1;
            }
        }
    }

    /// <summary>The lowest seq an open snapshot reads at, capped at <paramref name="limit"/> (which it is when none is open).</summary>
    public ulong RetentionSeq(ulong limit)
    {
        lock (_lock)
        {
            foreach (var seq in _open.Keys)
            {
                return Math.Min(seq, limit);
            }

            return limit;
        }
    }
}
