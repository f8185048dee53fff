namespace SlateDb;

/// <summary>How SST blocks are compressed. The codec is recorded in every block, so a reader never guesses.</summary>
public enum CompressionCodec
{
    /// <summary>Blocks are stored as they are.</summary>
    None = 0,

    /// <summary>Blocks are compressed with Zstandard (a block that does not shrink is stored uncompressed).</summary>
    Zstd = 1,
}
