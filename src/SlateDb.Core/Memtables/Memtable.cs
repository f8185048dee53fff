using System.Runtime.CompilerServices;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Read;

namespace SlateDb.Memtables;

/// <summary>
/// The in-memory table that receives every write: rows ordered by (key ascending, seq descending), kept as
/// <see cref="SortedRuns"/> of entries over arena memory.
/// </summary>
/// <remarks>
/// <para><b>Writes.</b> One writer (the write loop) stages the rows of a batch with <see cref="Stage"/> and publishes
/// them together with <see cref="Commit"/> (<see cref="Add"/> does both for one row). A commit sorts its rows into a
/// run and merges runs like a binary counter; that costs a few sequential passes over 32-byte entries per row
/// instead of a search through memory scattered across the table, which is what makes bulk inserts fast.</para>
/// <para><b>Seq order.</b> Commits must not go back in seq: every row of a commit has a seq at least the table's
/// <see cref="MaxSeq"/>, and a (key, seq) pair is added once. Both are checked; a commit that breaks them throws
/// and changes nothing. So a newer run only holds newer rows, and a lookup stops at the first run with the key.</para>
/// <para><b>Threads.</b> Readers call <see cref="TryGet"/>, <see cref="CreateIterator"/> and the statistics
/// concurrently with the writer, without locks: they read the published run set once and see the rows of every
/// commit published before that, whole. Statistics are published after the rows.</para>
/// <para><b>Memory.</b> Keys and values are copied into arena chunks that are never reused while the table is
/// referenced, so a <see cref="Row"/> handed out by <see cref="TryGet"/> or an iterator stays valid for the table's
/// lifetime (longer than the <see cref="IRowIterator"/> contract promises).</para>
/// <para><b>Size.</b> <see cref="SizeBytes"/> estimates the encoded size of the rows in an SST (see
/// <see cref="EstimateEncodedSize(in Row)"/>), which is what the writer compares with the L0 SST size to decide when to
/// freeze.</para>
/// </remarks>
internal sealed class Memtable
{
    private readonly ByteArena _arena;
    private readonly EntryOrder _order;
    private readonly SortedRuns _runs;
    private RunEntry[] _staged = new RunEntry[16];
    private RunEntry[] _scratch = new RunEntry[16];
    private int _stagedCount;
    private long _stagedBytes;
    private long _stagedMaxCreateTs = long.MinValue;
    private long _sizeBytes;
    private long _count;
    private ulong _minSeq;
    private ulong _maxSeq;
    private long _maxCreateTs = long.MinValue;
    private readonly List<RangeTombstone> _stagedTombstones = [];
    private readonly List<RangeTombstone> _committedTombstones = [];
    private RangeTombstoneList _rangeTombstones = RangeTombstoneList.Empty;
    private volatile bool _frozen;
    private volatile bool _hasMerges;
    private volatile bool _inSeqOrder = true;

    /// <summary>Creates an empty memtable whose keys and values go into arena chunks of <paramref name="chunkSizeBytes"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The chunk size is below 64 bytes or above 256 MiB.</exception>
    public Memtable(int chunkSizeBytes = 1 << 20)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSizeBytes, RunEntry.MaxOffset + 1);
        _arena = new ByteArena(chunkSizeBytes);
        _order = new EntryOrder(_arena);
        _runs = new SortedRuns(_order);
    }

    /// <summary>The estimated encoded (SST) size of the rows, in bytes.</summary>
    public long SizeBytes => Volatile.Read(ref _sizeBytes);

    /// <summary>The bytes the table holds in memory (arena and run entries).</summary>
    public long AllocatedBytes => _arena.AllocatedBytes + (_runs.Current.Entries * Unsafe.SizeOf<RunEntry>());

    /// <summary>
    /// The range tombstones committed so far (<see cref="RowKind.RangeDelete"/> rows), fragmented; not part of the
    /// rows iterators walk. <see cref="TryGet"/> applies them.
    /// </summary>
    public RangeTombstoneList RangeTombstones => Volatile.Read(ref _rangeTombstones);

    /// <summary>The number of rows (every version counts, range tombstones too).</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Whether the table holds no rows.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The smallest seq in the table; 0 when empty.</summary>
    public ulong MinSeq => Volatile.Read(ref _minSeq);

    /// <summary>The largest seq in the table; 0 when empty.</summary>
    public ulong MaxSeq => Volatile.Read(ref _maxSeq);

    /// <summary>The largest creation time of any row (ms since the Unix epoch); <see cref="long.MinValue"/> when empty.</summary>
    public long MaxCreateTs => Volatile.Read(ref _maxCreateTs);

    /// <summary>Whether <see cref="Freeze"/> was called; a frozen table rejects <see cref="Add"/>.</summary>
    public bool IsFrozen => _frozen;

    /// <summary>The number of sorted runs the rows are in (what a lookup may search).</summary>
    public int RunCount => _runs.Current.Runs.Length;

    /// <summary>The number of entries in the largest run.</summary>
    public int LargestRun => _runs.Current.Runs.Select(run => run.Length).DefaultIfEmpty().Max();

    /// <summary>Whether rows are staged and not yet committed.</summary>
    public bool HasStaged => _stagedCount > 0 || _stagedTombstones.Count > 0;

    /// <summary>
    /// Estimates the bytes <paramref name="row"/> takes in an SST data block: key and value, the varint lengths
    /// (shared, unshared, value), seq (8), flags (1), create time (8) and expiry time (8, only when set). Key prefix
    /// sharing and block trailers are ignored, so the estimate errs on the large side.
    /// </summary>
    public static long EstimateEncodedSize(in Row row) => EstimateEncodedSize(row.Key.Length, row.Value.Length, row.HasExpiry);

    /// <summary>As <see cref="EstimateEncodedSize(in Row)"/>, for a row with these key and value lengths.</summary>
    public static long EstimateEncodedSize(int keyLength, int valueLength, bool hasExpiry)
        => (long)keyLength + valueLength
           + 1 + VarintLength((uint)keyLength) + VarintLength((uint)valueLength)
           + sizeof(ulong) + 1 + sizeof(long)
           + (hasExpiry ? sizeof(long) : 0);

    /// <summary>Whether a merge operand was ever staged into the table (a flush then keeps the versions operands apply to).</summary>
    public bool HasMerges => _hasMerges;

    /// <summary>Copies <paramref name="row"/> into the table as a commit of its own. Single writer only.</summary>
    /// <exception cref="ArgumentException">The key is empty or too long, or the value is too long.</exception>
    /// <exception cref="InvalidOperationException">The table is frozen, or already holds a row with this key and seq.</exception>
    public void Add(in Row row)
    {
        Stage(row);
        Commit();
    }

    /// <summary>
    /// Copies <paramref name="row"/> into the table without making it visible; <see cref="Commit"/> publishes every
    /// staged row at once. Single writer only.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty or too long, or the value is too long.</exception>
    /// <exception cref="InvalidOperationException">The table is frozen.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Stage(in Row row)
    {
        var key = row.Key.Span;
        Limits.ValidateKey(key, "row.Key");
        Limits.ValidateValue(row.Value.Span, "row.Value");
        if (_frozen)
        {
            throw new InvalidOperationException(
                $"The memtable is frozen; the row {Convert.ToHexString(key)}@{row.Seq} cannot be added.");
        }

        if (row.Kind == RowKind.RangeDelete)
        {
            StageRangeTombstone(row);
            return;
        }

        if (_stagedCount == _staged.Length)
        {
            Array.Resize(ref _staged, _staged.Length * 2);
        }

        _staged[_stagedCount++] = RowRecord.Write(_arena, row);
        if (row.Kind == RowKind.Merge)
        {
            _hasMerges = true;
        }

        _stagedBytes += EstimateEncodedSize(row);
        _stagedMaxCreateTs = Math.Max(_stagedMaxCreateTs, row.CreateTs);
    }

    /// <summary>
    /// Publishes the staged rows as one run: readers see all of them or none. On an exception nothing is published
    /// and the staged rows are dropped. Single writer only.
    /// </summary>
    /// <exception cref="InvalidOperationException">A (key, seq) pair is staged twice or already in the table.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Commit()
    {
        if (_stagedCount == 0 && _stagedTombstones.Count == 0)
        {
            return;
        }

        try
        {
            ulong minSeq = ulong.MaxValue, maxSeq = 0;
            RunEntry[]? run = null;
            if (_stagedCount > 0)
            {
                run = GC.AllocateUninitializedArray<RunEntry>(_stagedCount);
                _staged.AsSpan(0, _stagedCount).CopyTo(run);
                (minSeq, maxSeq) = SortAndCheck(run);
            }

            if (_stagedTombstones.Count > 0)
            {
                // Published before the rows of the same batch; neither is visible to a read below the batch's seq.
                foreach (var tombstone in _stagedTombstones)
                {
                    minSeq = Math.Min(minSeq, tombstone.Seq);
                    maxSeq = Math.Max(maxSeq, tombstone.Seq);
                }

                _committedTombstones.AddRange(_stagedTombstones);
                Volatile.Write(ref _rangeTombstones, RangeTombstoneList.Build(_committedTombstones));
            }

            if (run is not null)
            {
                _runs.Push(run);
            }

            var empty = _count == 0;
            Volatile.Write(ref _sizeBytes, _sizeBytes + _stagedBytes);
            if (empty || minSeq < _minSeq)
            {
                Volatile.Write(ref _minSeq, minSeq);
            }

            if (maxSeq > _maxSeq)
            {
                Volatile.Write(ref _maxSeq, maxSeq);
            }

            if (_stagedMaxCreateTs > _maxCreateTs)
            {
                Volatile.Write(ref _maxCreateTs, _stagedMaxCreateTs);
            }

            Volatile.Write(ref _count, _count + _stagedCount + _stagedTombstones.Count);
        }
        finally
        {
            DiscardStaged();
        }
    }

    /// <summary>Drops the staged rows without publishing them (their arena bytes stay unused). Single writer only.</summary>
    public void DiscardStaged()
    {
        _stagedTombstones.Clear();
        _stagedCount = 0;
        _stagedBytes = 0;
        _stagedMaxCreateTs = long.MinValue;
    }

    /// <summary>
    /// Finds the newest version of <paramref name="key"/> whose seq is at most <paramref name="maxSeq"/>, tombstones
    /// included; when a range tombstone at or below <paramref name="maxSeq"/> covers the key and is newer than that
    /// version, a point tombstone at the range tombstone's seq instead. The row stays valid for the table's lifetime.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, ulong maxSeq, out Row row)
    {
        var found = TryGetRow(key, maxSeq, out row);
        var tombstones = RangeTombstones;
        if (tombstones.IsEmpty)
        {
            return found;
        }

        var covering = tombstones.CoveringSeq(key, maxSeq);
        if (covering == 0 || (found && row.Seq >= covering))
        {
            return found;
        }

        row = new Row(key.ToArray(), covering, RowKind.Delete, ReadOnlyMemory<byte>.Empty, 0);
        return true;
    }

    // The newest row of `key` at or below `maxSeq`, range tombstones aside.
    private bool TryGetRow(ReadOnlySpan<byte> key, ulong maxSeq, out Row row)
    {
        var probe = new EntryProbe(key, maxSeq);
        var runs = _runs.Current.Runs;
        var inSeqOrder = _inSeqOrder;
        RunEntry[]? bestRun = null;
        var best = 0;
        foreach (var run in runs)
        {
            var index = _order.LowerBound(run, in probe);
            if (index < run.Length && _order.HasKey(in run[index], in probe) && (bestRun is null || run[index].Seq > bestRun[best].Seq))
            {
                bestRun = run;
                best = index;
                if (inSeqOrder)
                {
                    // A newer run holds only newer rows: its newest version at or below maxSeq is the answer.
                    break;
                }
            }
        }

        if (bestRun is null)
        {
            row = default;
            return false;
        }

        row = RowRecord.Read(_arena, in bestRun[best]);
        return true;
    }

    /// <summary>
    /// An iterator over every version of every key in <paramref name="range"/>, in (key ascending, seq descending)
    /// order, over the rows committed when it is created. It may run while the writer adds rows.
    /// </summary>
    public IRowIterator CreateIterator(KeyRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return new MemtableIterator(_arena, _order, Snapshot(), range, newestOnly: false);
    }

    /// <summary>An iterator over the newest row of every key (tombstones included), in key order.</summary>
    public IRowIterator CreateNewestIterator() => new MemtableIterator(_arena, _order, Snapshot(), KeyRange.All, newestOnly: true);

    /// <summary>
    /// Makes the table immutable and returns the immutable view, stamped with <paramref name="lastWalId"/> (the last
    /// durably flushed WAL id at the moment of freezing). Single writer only.
    /// </summary>
    /// <exception cref="InvalidOperationException">The table is already frozen, or rows are staged.</exception>
    public ImmutableMemtable Freeze(ulong lastWalId)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The memtable is already frozen.");
        }

        if (HasStaged)
        {
            throw new InvalidOperationException($"The memtable has {_stagedCount + _stagedTombstones.Count} staged rows; commit them before freezing.");
        }

        _frozen = true;
        return new ImmutableMemtable(this, lastWalId);
    }

    // A frozen table merges its runs once, so its readers (the L0 flush above all) walk one array.
    private RunSet Snapshot() => _frozen ? _runs.Compact() : _runs.Current;

    // Sorts a staged run and checks that its (key, seq) pairs are new; returns its seq range.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (ulong Min, ulong Max) SortAndCheck(RunEntry[] run)
    {
        var span = run.AsSpan();
        var sorted = true;
        var minSeq = span[0].Seq;
        var maxSeq = minSeq;
        for (var i = 1; i < span.Length; i++)
        {
            sorted &= _order.Compare(in span[i - 1], in span[i]) < 0;
            minSeq = Math.Min(minSeq, span[i].Seq);
            maxSeq = Math.Max(maxSeq, span[i].Seq);
        }

        if (!sorted)
        {
            if (_scratch.Length < span.Length)
            {
                _scratch = new RunEntry[Math.Max(span.Length, _scratch.Length * 2)];
            }

            EntrySort.Sort(span, _scratch, in _order);
            for (var i = 1; i < span.Length; i++)
            {
                if (_order.Compare(in span[i - 1], in span[i]) == 0)
                {
                    throw Duplicate(in span[i]);
                }
            }
        }

        if (_count > 0 && minSeq <= _maxSeq)
        {
            // Rows at or below the table's newest seq (a batch staged in parts, or rows added out of seq order): each
            // (key, seq) must be new.
            foreach (ref readonly var entry in span)
            {
                if (entry.Seq <= _maxSeq && TryGetRow(RowRecord.Key(_arena, in entry), entry.Seq, out var existing) && existing.Seq == entry.Seq)
                {
                    throw Duplicate(in entry);
                }
            }

            if (minSeq < _maxSeq)
            {
                // Written before the run is published, so a reader that sees the run sees this too.
                _inSeqOrder = false;
            }
        }

        return (minSeq, maxSeq);
    }

    // A range delete: the key is the start, the value the encoded end (empty: unbounded).
    private void StageRangeTombstone(in Row row)
    {
        var end = row.Value.Span;
        if (end.Length > Limits.MaxKeyLength || (!end.IsEmpty && KeyCompare.Compare(row.Key.Span, end) >= 0))
        {
            throw new ArgumentException(
                $"The range delete {Convert.ToHexString(row.Key.Span)}..{Convert.ToHexString(end)}@{row.Seq} has an end that is not past its start or is too long.",
                nameof(row));
        }

        _stagedTombstones.Add(RangeTombstone.FromRow(row).Detach());
        _stagedBytes += EstimateEncodedSize(row);
        _stagedMaxCreateTs = Math.Max(_stagedMaxCreateTs, row.CreateTs);
    }

    private InvalidOperationException Duplicate(in RunEntry entry)
        => new($"The memtable already holds key {Convert.ToHexString(RowRecord.Key(_arena, in entry))} at seq {entry.Seq}; a (key, seq) pair is added once.");

    private static int VarintLength(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;
}
