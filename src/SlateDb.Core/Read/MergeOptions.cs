namespace SlateDb.Read;

/// <summary>What a <see cref="MergeIterator"/> yields: the visibility bound, one version or all, and what counts as deleted.</summary>
internal sealed record MergeOptions
{
    /// <summary>Default options for reads: newest version per key, tombstones hidden, every seq visible.</summary>
    public static MergeOptions Default { get; } = new();

    /// <summary>Rows with a larger seq are invisible (as if not written yet).</summary>
    public ulong MaxSeq { get; init; } = ulong.MaxValue;

    /// <summary>
    /// True: yield only the newest visible version of each key (reads). False: yield every visible version (compaction);
    /// merge operands are then left for the caller to fold.
    /// </summary>
    public bool NewestOnly { get; init; } = true;

    /// <summary>
    /// With <see cref="NewestOnly"/>: a key whose newest visible row is a tombstone is skipped entirely. Without it: each
    /// tombstone row is skipped on its own. Expired rows count as tombstones.
    /// </summary>
    public bool HideTombstones { get; init; } = true;

    /// <summary>
    /// When set, a row with <c>ExpireTs &lt;= NowMs</c> is treated as deleted: it is yielded as a tombstone (same key,
    /// seq and create time; no value, no expiry) or hidden along with tombstones.
    /// </summary>
    public long? NowMs { get; init; }
}
