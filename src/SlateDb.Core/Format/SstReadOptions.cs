namespace SlateDb.Format;

/// <summary>How an SST iterator reads blocks.</summary>
internal sealed record SstReadOptions
{
    /// <summary>The defaults: cache blocks, read one block per request.</summary>
    public static SstReadOptions Default { get; } = new();

    /// <summary>Whether blocks read by the iterator go into the block cache (lookups use the cache either way).</summary>
    public bool CacheBlocks { get; init; } = true;

    /// <summary>
    /// How many consecutive blocks one request fetches. Above 1 the iterator also fetches the next group while the
    /// current one is consumed, so a scan waits for the store at most once.
    /// </summary>
    public int ReadAheadBlocks { get; init; } = 1;
}
