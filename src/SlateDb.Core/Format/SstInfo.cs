namespace SlateDb.Format;

/// <summary>What the manifest and readers need about one SST; decodable from the object's properties block.</summary>
internal sealed record SstInfo
{
    /// <summary>The smallest key of a row or range-tombstone start; empty when the SST has neither.</summary>
    public required ReadOnlyMemory<byte> FirstKey { get; init; }

    /// <summary>The largest key of a row or range-tombstone start; empty when the SST has neither.</summary>
    public required ReadOnlyMemory<byte> LastKey { get; init; }

    /// <summary>How many rows (every version counts; range tombstones are not rows).</summary>
    public required long RowCount { get; init; }

    /// <summary>The smallest sequence number of a row or range tombstone (0 when there are none).</summary>
    public required ulong MinSeq { get; init; }

    /// <summary>The largest sequence number of a row or range tombstone (0 when there are none).</summary>
    public required ulong MaxSeq { get; init; }

    /// <summary>The object size in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>The format version the object was written in.</summary>
    public required ushort FormatVersion { get; init; }

    /// <summary>Compacted or WAL.</summary>
    public required SstKind Kind { get; init; }

    /// <summary>The codec the writer was asked to use (each block records what it actually used).</summary>
    public required CompressionCodec Compression { get; init; }

    /// <summary>When the writer created the SST, in milliseconds since the Unix epoch.</summary>
    public long CreationTimeMs { get; init; }

    /// <summary>Bits per key of the bloom filter; 0 when the SST has none.</summary>
    public int BloomBitsPerKey { get; init; }

    /// <summary>The SST's range-tombstone block and how far its tombstones reach; null when it has none.</summary>
    public RangeTombstoneSummary? RangeTombstones { get; init; }
}

/// <summary>Where a compacted SST keeps its range tombstones and how far they reach.</summary>
/// <param name="Count">How many (fragment, seq) entries the block holds.</param>
/// <param name="End">The exclusive end of the last fragment; null when it is unbounded.</param>
/// <param name="BlockOffset">Where the stored block starts (right after the data blocks).</param>
/// <param name="BlockLength">The stored block's length, trailer included.</param>
internal sealed record RangeTombstoneSummary(int Count, ReadOnlyMemory<byte>? End, long BlockOffset, int BlockLength);
