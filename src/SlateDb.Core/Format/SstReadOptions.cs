namespace SlateDb.Format;

/// <summary>How an SST iterator reads blocks.</summary>
internal sealed record SstReadOptions
{
    /// <summary>The defaults: cache blocks, read one block per request.</summary>
    public static SstReadOptions Default { get; } = new();

    /// <summary>Whether blocks read by the iterator go into the block cache (lookups use the cache either way).</summary>
    public bool CacheBlocks { get; init; } = true;

    /// <summary>
    /// Whether a block fetched alone where a read starts (the first block of a scan, or of a seek) goes into the block
    /// cache even when <see cref="CacheBlocks"/> is false: such a block is what a point lookup would have cached, while
    /// the blocks a long scan reads ahead would only evict the working set.
    /// </summary>
    public bool CacheStartBlocks { get; init; }

    /// <summary>
    /// Fixed read-ahead groups: how many consecutive blocks one request fetches, the next group requested while the
    /// current one is consumed (above 1; ignored when <see cref="ReadAhead"/> is set).
    /// </summary>
    public int ReadAheadBlocks { get; init; } = 1;

    /// <summary>
    /// The read-ahead budget the iterators of one scan share (sizes, concurrency and bytes in flight), or null for
    /// <see cref="ReadAheadBlocks"/>. An options instance carrying a budget belongs to one scan.
    /// </summary>
    public ReadAheadBudget? ReadAhead { get; init; }
}
