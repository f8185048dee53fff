namespace SlateDb.Transactions;

// The write sets committed while transactions are open, for optimistic conflict checks at commit.
//
// Invariants
//  1. Every write (plain put, delete, batch or transaction) with a seq above the start of an open transaction is
//     recorded before the next write is sequenced: the write loop calls Record inside its sequencing, after it
//     published the write's seq as visible. Begin counts the transaction as open (a full fence) before it reads the
//     visible seq, and Record reads the count after a full fence, so a write Record skips has a seq at or below the
//     start of every transaction that begins meanwhile.
//  2. Check runs inside the same sequencing as the apply of the transaction it checks, so no write can be sequenced
//     between the check and the apply.
//  3. Bounded: entries with a seq at or below the oldest open start cannot conflict with any open transaction and are
//     dropped whenever a transaction ends or a write is recorded; with no transaction open nothing is kept.
//
// Outline
//   _log: (seq, keys, key hashes) per recorded write, seq ascending (for scanned ranges: the keys themselves)
//   _lastSeqByHash: 64-bit key hash → the newest seq that wrote it (for point checks; a collision can only cause a
//   spurious conflict, never a missed one)

/// <summary>Recent committed write sets and the starts of open transactions.</summary>
internal sealed class CommittedWrites
{
    private readonly Lock _lock = new();
    private readonly Queue<Entry> _log = new();
    private readonly Queue<(ulong Seq, KeyRange Range)> _deletedRanges = new();
    private readonly Dictionary<ulong, ulong> _lastSeqByHash = [];
    private readonly SortedDictionary<ulong, int> _openStarts = [];
    private int _open;
    private long _loggedKeys;

    /// <summary>The keys recorded and not yet pruned (what the tracking holds in memory).</summary>
    public long TrackedKeys
    {
        get
        {
            lock (_lock)
            {
                return _loggedKeys;
            }
        }
    }

    /// <summary>How many transactions are open.</summary>
    public int OpenTransactions => Volatile.Read(ref _open);

    /// <summary>The 64-bit hash a key is tracked under.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key)
    {
        var high = new HashCode();
        high.AddBytes(key);
        var low = new HashCode();
        low.Add(key.Length);
        low.AddBytes(key);
        return ((ulong)(uint)high.ToHashCode() << 32) | (uint)low.ToHashCode();
    }

    /// <summary>Opens a transaction whose start seq <paramref name="readStart"/> returns (read after it counts as open).</summary>
    public ulong Begin(Func<ulong> readStart)
    {
        lock (_lock)
        {
            Interlocked.Increment(ref _open);
            ulong start;
            try
            {
                start = readStart();
            }
            catch
            {
                Interlocked.Decrement(ref _open);
                throw;
            }

            _openStarts[start] = _openStarts.GetValueOrDefault(start) + 1;
            return start;
        }
    }

    /// <summary>Ends the transaction that began at <paramref name="start"/> and drops what no open transaction needs.</summary>
    public void End(ulong start)
    {
        lock (_lock)
        {
            var count = _openStarts[start];
            if (count == 1)
            {
                _openStarts.Remove(start);
            }
            else
            {
                _openStarts[start] = count - 1;
            }

            Interlocked.Decrement(ref _open);
            PruneLocked();
        }
    }

    /// <summary>Records the live keys of <paramref name="batch"/>, committed at <paramref name="seq"/> (inside the write sequencing).</summary>
    public void Record(WriteBatch batch, ulong seq)
    {
        if (!IsTracking())
        {
            return;
        }

        var keys = new List<byte[]>(batch.Count);
        List<KeyRange>? ranges = null;
        for (var i = 0; i < batch.EntryCount; i++)
        {
            if (!batch.IsSuperseded(i))
            {
                var row = batch.GetRow(i, seq, 0);
                if (row.Kind == Format.RowKind.RangeDelete)
                {
                    var tombstone = Read.RangeTombstone.FromRow(row).Detach();
                    (ranges ??= []).Add(KeyRange.Of(tombstone.Start, tombstone.End));
                }
                else
                {
                    keys.Add(row.Key.ToArray());
                }
            }
        }

        RecordCore([.. keys], seq, ranges);
    }

    /// <summary>Records a single write of <paramref name="key"/> at <paramref name="seq"/> (inside the write sequencing).</summary>
    public void Record(ReadOnlySpan<byte> key, ulong seq)
    {
        if (IsTracking())
        {
            RecordCore([key.ToArray()], seq, null);
        }
    }

    /// <summary>
    /// Throws <see cref="TransactionConflictException"/> when a write committed after <paramref name="start"/> touched a
    /// key of <paramref name="keys"/> or a key inside <paramref name="ranges"/> (inside the write sequencing).
    /// </summary>
    public void Check(string dbPath, ulong start, IEnumerable<byte[]> keys, IReadOnlyList<KeyRange> ranges)
    {
        lock (_lock)
        {
            foreach (var key in keys)
            {
                if (_lastSeqByHash.TryGetValue(Hash(key), out var seq) && seq > start)
                {
                    throw new TransactionConflictException(dbPath, key, seq, start);
                }
            }

            CheckDeletedRanges(dbPath, start, keys, ranges);
            if (ranges.Count == 0)
            {
                return;
            }

            foreach (var entry in _log)
            {
                if (entry.Seq <= start)
                {
                    continue;
                }

                foreach (var key in entry.Keys)
                {
                    foreach (var range in ranges)
                    {
                        if (range.Contains(key))
                        {
                            throw new TransactionConflictException(dbPath, key, entry.Seq, start);
                        }
                    }
                }
            }
        }
    }

    private bool IsTracking()
    {
        // Pairs with the increment in Begin: the caller published its seq before this read (invariant 1).
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref _open) > 0;
    }

    // A range deleted after `start` conflicts with a key read or written, and with a range scanned, that it covers.
    private void CheckDeletedRanges(string dbPath, ulong start, IEnumerable<byte[]> keys, IReadOnlyList<KeyRange> ranges)
    {
        foreach (var (seq, deleted) in _deletedRanges)
        {
            if (seq <= start)
            {
                continue;
            }

            foreach (var key in keys)
            {
                if (deleted.Contains(key))
                {
                    throw new TransactionConflictException(dbPath, key, seq, start);
                }
            }

            foreach (var range in ranges)
            {
                var from = range.Start is { } a && (deleted.Start is not { } b || a.Span.SequenceCompareTo(b.Span) > 0) ? a : deleted.Start;
                if ((from is not { } f || !range.IsPastEnd(f.Span)) && (from is not { } g || !deleted.IsPastEnd(g.Span)))
                {
                    throw new TransactionConflictException(dbPath, (from ?? Read.RangeTombstone.UnboundedStart).ToArray(), seq, start);
                }
            }
        }
    }

    private void RecordCore(byte[][] keys, ulong seq, List<KeyRange>? deletedRanges)
    {
        var hashes = new ulong[keys.Length];
        lock (_lock)
        {
            foreach (var range in deletedRanges ?? [])
            {
                _deletedRanges.Enqueue((seq, range));
                _loggedKeys++;
            }

            for (var i = 0; i < keys.Length; i++)
            {
                hashes[i] = Hash(keys[i]);
                _lastSeqByHash[hashes[i]] = seq;
            }

            _log.Enqueue(new Entry(seq, keys, hashes));
            _loggedKeys += keys.Length;
            PruneLocked();
        }
    }

    private void PruneLocked()
    {
        if (_openStarts.Count == 0)
        {
            _deletedRanges.Clear();
            _log.Clear();
            _lastSeqByHash.Clear();
            _loggedKeys = 0;
            return;
        }

        var oldest = _openStarts.Keys.First();
        while (_deletedRanges.TryPeek(out var deleted) && deleted.Seq <= oldest)
        {
            _deletedRanges.Dequeue();
            _loggedKeys--;
        }

        while (_log.TryPeek(out var head) && head.Seq <= oldest)
        {
            _log.Dequeue();
            _loggedKeys -= head.Keys.Length;
            foreach (var hash in head.Hashes)
            {
                if (_lastSeqByHash.TryGetValue(hash, out var seq) && seq == head.Seq)
                {
                    _lastSeqByHash.Remove(hash);
                }
            }
        }
    }

    private sealed record Entry(ulong Seq, byte[][] Keys, ulong[] Hashes);
}
