namespace SlateDb.Format;

/// <summary>How an <see cref="SstWriter"/> lays out an SST.</summary>
internal sealed record SstWriterOptions
{
    /// <summary>The target size of an uncompressed data block (a single larger row gets a block of its own).</summary>
    public int BlockSize { get; init; } = 4096;

    /// <summary>The codec to try on each block.</summary>
    public CompressionCodec Compression { get; init; } = CompressionCodec.None;

    /// <summary>The zstd level when <see cref="Compression"/> is <see cref="CompressionCodec.Zstd"/>.</summary>
    public int ZstdLevel { get; init; } = BlockCompression.DefaultZstdLevel;

    /// <summary>Bits per key of the bloom filter; 0 disables the filter.</summary>
    public int BloomBitsPerKey { get; init; } = 10;

    /// <summary>No filter is written below this many distinct keys.</summary>
    public int MinFilterKeys { get; init; } = 1000;

    /// <summary>Compacted (sorted, filtered) or WAL (rows in the order added).</summary>
    public SstKind Kind { get; init; } = SstKind.Compacted;

    /// <summary>Recorded in the properties, in milliseconds since the Unix epoch.</summary>
    public long CreationTimeMs { get; init; }

    /// <summary>The expected size of the SST, to size the output buffer once (0: grow as needed).</summary>
    public int ExpectedSizeBytes { get; init; }
}
