namespace SlateDb.Format;

/// <summary>
/// The constants of the SST format (see <c>Format/README.md</c> for the layout). All fixed-width integers are
/// little-endian; variable-length integers are unsigned LEB128.
/// </summary>
internal static class SstFormat
{
    /// <summary>The format version this code writes; readers reject any other.</summary>
    public const ushort CurrentVersion = 1;

    /// <summary>"SDBT" read as a little-endian u32: the last-but-one field of every SST.</summary>
    public const uint Magic = 'S' | ('D' << 8) | ('B' << 16) | ('T' << 24);

    /// <summary>The fixed size of the footer at the end of every SST.</summary>
    public const int FooterLength = (3 * (sizeof(ulong) + sizeof(uint))) + sizeof(ushort) + sizeof(uint) + sizeof(uint);

    /// <summary>The bytes every stored block carries after its payload: a codec byte and a CRC32C.</summary>
    public const int BlockTrailerLength = sizeof(byte) + sizeof(uint);

    /// <summary>A data block starts a new restart point (a full key) every this many entries.</summary>
    public const int RestartInterval = 16;

    /// <summary>
    /// The largest decoded block a reader accepts. A data block holds at least one row, so it must fit one row of the
    /// largest key and value; index and filter blocks of very large SSTs stay well below it.
    /// </summary>
    public const int MaxDecodedBlockLength = 256 * 1024 * 1024;

    /// <summary>The largest stored block: a decoded block plus the zstd length prefix and the trailer.</summary>
    public const int MaxStoredBlockLength = MaxDecodedBlockLength + sizeof(uint) + BlockTrailerLength;

    /// <summary>An iterator's read-ahead group stops growing at this many bytes (it always holds at least one block).</summary>
    public const long MaxReadAheadBytes = 16 * 1024 * 1024;

    /// <summary>How many tail bytes <see cref="SstReader.OpenAsync(ObjectStore.IObjectStore, string, Cache.BlockCache?, CancellationToken)"/> reads at first, hoping to get the metadata with the footer.</summary>
    public const int InitialTailRead = 64 * 1024;

    /// <summary>Row flag bits 0-1: the <see cref="RowKind"/>.</summary>
    public const byte KindMask = 0x03;

    /// <summary>Row flag bit 2: an expire timestamp follows the create timestamp.</summary>
    public const byte HasExpireFlag = 0x04;

    /// <summary>Bits a row flag byte never sets.</summary>
    public const byte UnknownFlags = unchecked((byte)~(KindMask | HasExpireFlag));

    /// <summary>The fixed-width part of an entry: flags, seq and create timestamp.</summary>
    public const int EntryFixedLength = sizeof(byte) + sizeof(ulong) + sizeof(long);

    /// <summary>A short hex rendering of a key for messages (long keys are cut).</summary>
    public static string FormatKey(ReadOnlySpan<byte> key)
    {
        const int Shown = 32;
        return key.Length <= Shown
            ? Convert.ToHexString(key)
            : $"{Convert.ToHexString(key[..Shown])}... ({key.Length} bytes)";
    }
}
