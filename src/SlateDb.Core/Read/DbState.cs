using SlateDb.Format;
using SlateDb.Memtables;

namespace SlateDb.Read;

/// <summary>
/// An immutable snapshot of every source a read consults, newest first: the active memtable, the frozen memtables
/// waiting for L0, the L0 SSTs and the sorted runs. Readers take one snapshot and use it throughout; writers publish
/// a new snapshot (see <see cref="DbStateHolder"/>). Data only moves from one source to the next inside a single
/// swap, so every snapshot holds every applied write.
/// </summary>
internal sealed record DbState(
    Memtables.Memtable Active,
    ImmutableMemtable[] Immutables,
    TableView[] L0,
    SortedRunView[] SortedRuns)
{
    /// <summary>With <paramref name="frozen"/> moved from active to the newest immutable and <paramref name="newActive"/> active.</summary>
    public DbState WithFrozen(ImmutableMemtable frozen, Memtables.Memtable newActive)
        => this with { Active = newActive, Immutables = [frozen, .. Immutables] };

    /// <summary>With <paramref name="published"/> gone from the immutables (it is in L0 now).</summary>
    public DbState WithoutImmutable(ImmutableMemtable published)
        => this with { Immutables = Array.FindAll(Immutables, m => !ReferenceEquals(m, published)) };
}

/// <summary>Holds the current <see cref="DbState"/>; swaps are serialized, reads are a single volatile load.</summary>
internal sealed class DbStateHolder
{
    private readonly Lock _lock = new();
    private DbState _current;

    public DbStateHolder(DbState initial) => _current = initial;

    /// <summary>The current snapshot.</summary>
    public DbState Current => Volatile.Read(ref _current);

    /// <summary>Replaces the snapshot with <paramref name="change"/> applied to the current one.</summary>
    public DbState Update(Func<DbState, DbState> change)
    {
        lock (_lock)
        {
            var next = change(_current);
            Volatile.Write(ref _current, next);
            return next;
        }
    }
}

/// <summary>
/// One SST a read may consult: where it is and the key range the manifest records for it. An SST with range tombstones
/// reaches past its last key to where its last tombstone ends (<see cref="RangeTombstones"/>): every key it may hold a
/// row or a covering tombstone for lies in [<see cref="FirstKey"/>, that reach).
/// </summary>
internal sealed class TableView
{
    private TableCache.Entry? _cacheEntry;

    public TableView(string id, string path, ReadOnlyMemory<byte> firstKey, ReadOnlyMemory<byte> lastKey, long size, TombstoneReach? rangeTombstones = null)
    {
        RangeTombstones = rangeTombstones;
        Id = id;
        Size = size;
        Path = path;
        FirstKey = firstKey;
        LastKey = lastKey;
    }

    /// <summary>The SST id (a ULID string).</summary>
    public string Id { get; }

    /// <summary>The object path (in this database or, for clones, in a parent).</summary>
    public string Path { get; }

    /// <summary>The object size the manifest records (0 when unknown).</summary>
    public long Size { get; }

    /// <summary>The smallest key in the SST.</summary>
    public ReadOnlyMemory<byte> FirstKey { get; }

    /// <summary>The largest key in the SST.</summary>
    public ReadOnlyMemory<byte> LastKey { get; }

    /// <summary>
    /// The <see cref="TableCache"/> entry of the open reader, once it has opened it (saves the cache lookup on hot paths).
    /// An entry the cache evicted lets go of its reader, so this does not keep the SST's metadata in memory.
    /// </summary>
    public TableCache.Entry? CacheEntry
    {
        get => Volatile.Read(ref _cacheEntry);
        set => Volatile.Write(ref _cacheEntry, value);
    }

    /// <summary>How far the SST's range tombstones reach; null when it has none.</summary>
    public TombstoneReach? RangeTombstones { get; }

    /// <summary>Whether the SST holds range tombstones.</summary>
    public bool HasRangeTombstones => RangeTombstones is not null;

    /// <summary>Whether <paramref name="key"/> lies within the SST's key range (its tombstones' reach included).</summary>
    public bool Covers(ReadOnlySpan<byte> key) => KeyCompare.Compare(key, FirstKey.Span) >= 0 && !EndsBefore(key);

    /// <summary>Whether every key the SST covers is smaller than <paramref name="key"/>.</summary>
    public bool EndsBefore(ReadOnlySpan<byte> key)
        => KeyCompare.Compare(LastKey.Span, key) < 0
           && (RangeTombstones is not { } reach || (reach.End is { } end && KeyCompare.Compare(end.Span, key) <= 0));

    /// <summary>Whether the SST's key range (its tombstones' reach included) intersects <paramref name="range"/>.</summary>
    public bool Overlaps(KeyRange range)
        => !range.IsPastEnd(FirstKey.Span) && (range.Start is not { } start || !EndsBefore(start.Span));

    /// <summary>How far an SST's range tombstones reach.</summary>
    /// <param name="End">The exclusive end of the last tombstone fragment; null when it is unbounded.</param>
    internal sealed record TombstoneReach(ReadOnlyMemory<byte>? End);
}

/// <summary>A sorted run: SSTs with ordered, non-overlapping key ranges.</summary>
internal sealed class SortedRunView
{
    public SortedRunView(uint id, TableView[] tables)
    {
        Id = id;
        Tables = tables;
    }

    /// <summary>The run id (larger is newer).</summary>
    public uint Id { get; }

    /// <summary>The run's SSTs in key order.</summary>
    public TableView[] Tables { get; }

    /// <summary>The SST whose range (range tombstones' reach included) covers <paramref name="key"/>, or null.</summary>
    public TableView? Find(ReadOnlySpan<byte> key)
    {
        var index = FirstEndingAtOrAfter(key);
        return index < Tables.Length && Tables[index].Covers(key) ? Tables[index] : null;
    }

    /// <summary>
    /// The index of the first SST that covers a key ≥ <paramref name="key"/>: its last key is ≥ it, or its range
    /// tombstones reach past it (Tables.Length when none).
    /// </summary>
    public int FirstEndingAtOrAfter(ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = Tables.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Tables[mid].EndsBefore(key))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
