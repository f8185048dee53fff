namespace SlateDb.Format;

/// <summary>What the manifest and readers need about one SST; decodable from the object's properties block.</summary>
internal sealed record SstInfo
{
    /// <summary>The smallest key; empty when the SST has no rows.</summary>
    public required ReadOnlyMemory<byte> FirstKey { get; init; }

    /// <summary>The largest key; empty when the SST has no rows.</summary>
    public required ReadOnlyMemory<byte> LastKey { get; init; }

    /// <summary>How many rows (every version counts).</summary>
    public required long RowCount { get; init; }

    /// <summary>The smallest sequence number (0 when there are no rows).</summary>
    public required ulong MinSeq { get; init; }

    /// <summary>The largest sequence number (0 when there are no rows).</summary>
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
}
