using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using SlateDb.Format;

namespace SlateDb.Cache;

/// <summary>
/// A concurrent, byte-bounded cache of decoded (verified, decompressed) data blocks keyed by (SST id, block index).
/// </summary>
/// <remarks>
/// <para>
/// Design. Lookups go straight to a <see cref="ConcurrentDictionary{TKey, TValue}"/> and only set the entry's
/// "referenced" bit: no lock, no allocation. Inserts, evictions and removals take one lock and keep the entries on a
/// circular doubly-linked list that acts as a CLOCK: the hand points at the oldest entry; eviction looks at it and, if it
/// was referenced since the hand last passed, clears the bit and moves the hand on (a second chance), otherwise unlinks
/// it. A block read once by a scan is therefore the first to go, while blocks that point lookups keep hitting stay.
/// Each entry is also on its SST's own list, so removing an SST touches only that SST's blocks.
/// </para>
/// <para>
/// Invariants. (1) <see cref="SizeBytes"/> is the sum of <see cref="DataBlock.MemorySize"/> over the entries in the
/// dictionary, maintained under the lock. (2) The clock list and the per-SST lists hold exactly the dictionary's
/// entries: an entry leaves all three together, so no list grows with removed entries. (3) After an insert returns, the
/// size is at most the capacity. A block larger than the capacity is not cached.
/// </para>
/// </remarks>
internal sealed class BlockCache
{
    private readonly ConcurrentDictionary<BlockKey, Entry> _entries = new();
    private readonly Dictionary<string, Entry> _bySst = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private Entry? _hand;
    private long _sizeBytes;
    private long _hits;
    private long _misses;

    /// <summary>Creates a cache holding up to <paramref name="capacityBytes"/> bytes of blocks.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacityBytes"/> is negative.</exception>
    public BlockCache(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
    }

    /// <summary>The most bytes the cache holds.</summary>
    public long CapacityBytes { get; }

    /// <summary>The bytes the cached blocks take now.</summary>
    public long SizeBytes => Interlocked.Read(ref _sizeBytes);

    /// <summary>How many lookups found their block.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>How many lookups did not.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>How many blocks are cached.</summary>
    public int Count => _entries.Count;

    /// <summary>Looks up block <paramref name="blockIndex"/> of the SST identified by <paramref name="sstId"/>.</summary>
    public bool TryGet(string sstId, int blockIndex, [NotNullWhen(true)] out DataBlock? block)
        => TryGetEntry(sstId, blockIndex, out _, out block);

    /// <summary>
    /// A view of the blocks of one SST (<paramref name="sstId"/>, <paramref name="blockCount"/> blocks) that remembers
    /// where it found each block, so that repeated lookups of a block skip the hash table.
    /// </summary>
    public SstBlockCache ForSst(string sstId, int blockCount) => new(this, sstId, blockCount);

    /// <summary>As <see cref="TryGet"/>, also giving the entry that holds the block (for <see cref="SstBlockCache"/>).</summary>
    internal bool TryGetEntry(string sstId, int blockIndex, out Entry? entry, [NotNullWhen(true)] out DataBlock? block)
    {
        if (_entries.TryGetValue(new BlockKey(sstId, blockIndex), out entry) && entry.Block is { } found)
        {
            Hit(entry);
            block = found;
            return true;
        }

        Interlocked.Increment(ref _misses);
        entry = null;
        block = null;
        return false;
    }

    /// <summary>Counts a hit on <paramref name="entry"/> and marks it referenced.</summary>
    internal void Hit(Entry entry)
    {
        if (entry.Referenced == 0)
        {
            entry.Referenced = 1;
        }

        Interlocked.Increment(ref _hits);
    }

    /// <summary>Whether a block is cached, without counting a hit or a miss or marking it referenced.</summary>
    public bool Contains(string sstId, int blockIndex) => _entries.ContainsKey(new BlockKey(sstId, blockIndex));

    /// <summary>Caches a block (a no-op when the block is already cached or larger than the whole cache).</summary>
    public void Add(string sstId, int blockIndex, DataBlock block) => AddEntry(sstId, blockIndex, block);

    /// <summary>As <see cref="Add"/>; returns the entry now holding the block, or null when it is too large to cache.</summary>
    internal Entry? AddEntry(string sstId, int blockIndex, DataBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var size = block.MemorySize;
        if (size > CapacityBytes)
        {
            return null;
        }

        var entry = new Entry(new BlockKey(sstId, blockIndex), block, size);
        lock (_lock)
        {
            if (!_entries.TryAdd(entry.Key, entry))
            {
                return _entries.TryGetValue(entry.Key, out var existing) ? existing : null;
            }

            LinkBeforeHand(entry);
            if (_bySst.TryGetValue(sstId, out var head))
            {
                entry.SstNext = head;
                head.SstPrev = entry;
            }

            _bySst[sstId] = entry;
            _sizeBytes += size;
            while (_sizeBytes > CapacityBytes && _hand is { } victim)
            {
                if (victim.Referenced != 0)
                {
                    victim.Referenced = 0;
                    _hand = victim.Next;
                    continue;
                }

                Evict(victim);
            }
        }

        return entry;
    }

    /// <summary>Drops every block of one SST (for example after it was deleted); <paramref name="sstId"/> comes from <see cref="SstReader.CacheIdOf"/>.</summary>
    public void Remove(string sstId)
    {
        lock (_lock)
        {
            while (_bySst.TryGetValue(sstId, out var head))
            {
                Evict(head);
            }
        }
    }

    /// <summary>How many entries the clock list holds (walks it; for tests).</summary>
    internal int ClockLength()
    {
        lock (_lock)
        {
            var count = 0;
            for (var e = _hand; e is not null && (count == 0 || !ReferenceEquals(e, _hand)); e = e.Next)
            {
                count++;
            }

            return count;
        }
    }

    // Under the lock: the new entry becomes the newest, just behind the hand.
    private void LinkBeforeHand(Entry entry)
    {
        if (_hand is null)
        {
            entry.Next = entry;
            entry.Prev = entry;
            _hand = entry;
            return;
        }

        var newest = _hand.Prev!;
        entry.Prev = newest;
        entry.Next = _hand;
        newest.Next = entry;
        _hand.Prev = entry;
    }

    // Under the lock: the entry leaves the dictionary, the clock list and its SST's list together.
    private void Evict(Entry entry)
    {
        if (!_entries.TryRemove(new KeyValuePair<BlockKey, Entry>(entry.Key, entry)))
        {
            return;
        }

        _sizeBytes -= entry.Size;
        entry.Block = null;
        if (ReferenceEquals(entry.Next, entry))
        {
            _hand = null;
        }
        else
        {
            entry.Prev!.Next = entry.Next;
            entry.Next!.Prev = entry.Prev;
            if (ReferenceEquals(_hand, entry))
            {
                _hand = entry.Next;
            }
        }

        if (entry.SstPrev is { } previous)
        {
            previous.SstNext = entry.SstNext;
        }
        else if (entry.SstNext is { } next)
        {
            _bySst[entry.Key.SstId] = next;
        }
        else
        {
            _bySst.Remove(entry.Key.SstId);
        }

        if (entry.SstNext is { } following)
        {
            following.SstPrev = entry.SstPrev;
        }

        entry.Next = entry.Prev = entry.SstNext = entry.SstPrev = null;
    }

    internal readonly record struct BlockKey(string SstId, int BlockIndex);

    /// <summary>A cached block; <see cref="Block"/> becomes null when the block leaves the cache.</summary>
    internal sealed class Entry(BlockKey key, DataBlock block, long size)
    {
        public BlockKey Key { get; } = key;

        public long Size { get; } = size;

        public DataBlock? Block { get; set; } = block;

        // The clock list and the SST's list; changed only under the cache's lock.
        public Entry? Next { get; set; }

        public Entry? Prev { get; set; }

        public Entry? SstNext { get; set; }

        public Entry? SstPrev { get; set; }

        // 1 when looked up since the clock hand last passed; written without synchronization (a lost update only
        // costs one second chance).
        public int Referenced { get; set; }
    }
}
