using System.Diagnostics.CodeAnalysis;
using SlateDb.Format;

namespace SlateDb.Cache;

/// <summary>
/// The <see cref="BlockCache"/> as one SST's reader sees it: the same blocks, hits, misses and eviction, plus a hint per
/// block index remembering the cache entry the block was last found in or added as. A lookup whose hint still holds its
/// block (entries drop their block when evicted or removed) costs an array load instead of hashing the SST id; any
/// other lookup goes to the shared table and refreshes the hint. Safe for concurrent use: hints are single reference
/// writes, and a stale hint only sends the lookup to the table.
/// </summary>
internal sealed class SstBlockCache
{
    private readonly BlockCache _cache;
    private readonly string _sstId;
    private readonly BlockCache.Entry?[] _hints;

    /// <summary>A view of the blocks of the SST <paramref name="sstId"/>, which has <paramref name="blockCount"/> blocks.</summary>
    public SstBlockCache(BlockCache cache, string sstId, int blockCount)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(sstId);
        ArgumentOutOfRangeException.ThrowIfNegative(blockCount);
        _cache = cache;
        _sstId = sstId;
        _hints = new BlockCache.Entry?[blockCount];
    }

    /// <summary>The cache this view reads.</summary>
    public BlockCache Cache => _cache;

    /// <summary>Looks up block <paramref name="blockIndex"/> (counted as a hit or a miss of the cache).</summary>
    public bool TryGet(int blockIndex, [NotNullWhen(true)] out DataBlock? block)
    {
        if (_hints[blockIndex] is { } hint && hint.Block is { } found)
        {
            _cache.Hit(hint);
            block = found;
            return true;
        }

        if (_cache.TryGetEntry(_sstId, blockIndex, out var entry, out block))
        {
            _hints[blockIndex] = entry;
            return true;
        }

        return false;
    }

    /// <summary>Whether block <paramref name="blockIndex"/> is cached (without touching the statistics).</summary>
    public bool Contains(int blockIndex)
        => _hints[blockIndex]?.Block is not null || _cache.Contains(_sstId, blockIndex);

    /// <summary>Caches block <paramref name="blockIndex"/>.</summary>
    public void Add(int blockIndex, DataBlock block)
    {
        if (_cache.AddEntry(_sstId, blockIndex, block) is { } entry)
        {
            _hints[blockIndex] = entry;
        }
    }
}
