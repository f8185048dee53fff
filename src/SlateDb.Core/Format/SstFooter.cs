using System.Buffers.Binary;
using SlateDb.Infrastructure;

namespace SlateDb.Format;

/// <summary>
/// The fixed-size tail of every SST: where the filter, index and properties blocks are, the format version, the magic
/// and a CRC32C over the preceding footer bytes. Layout (little-endian):
/// <c>u64 filter_offset | u32 filter_length | u64 index_offset | u32 index_length | u64 properties_offset |
/// u32 properties_length | u16 version | u32 magic | u32 crc32c</c>. A filter length of 0 means no filter.
/// </summary>
internal readonly record struct SstFooter(
    long FilterOffset, int FilterLength, long IndexOffset, int IndexLength, long PropertiesOffset, int PropertiesLength)
{
    /// <summary>Where the data blocks end: the filter's offset, or the index's when there is no filter.</summary>
    public long DataEnd => FilterLength > 0 ? FilterOffset : IndexOffset;

    /// <summary>Where the metadata (filter, index, properties) starts; it runs up to the footer.</summary>
    public long MetadataStart => DataEnd;

    /// <summary>Appends the encoded footer to <paramref name="output"/>.</summary>
    public void Write(ByteBuffer output)
    {
        var span = output.GetSpan(SstFormat.FooterLength)[..SstFormat.FooterLength];
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)FilterOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)FilterLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[12..], (ulong)IndexOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)IndexLength);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], (ulong)PropertiesOffset);
        BinaryPrimitives.WriteUInt32LittleEndian(span[32..], (uint)PropertiesLength);
        BinaryPrimitives.WriteUInt16LittleEndian(span[36..], SstFormat.CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(span[38..], SstFormat.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[42..], Crc32C.Compute(span[..42]));
        output.Advance(SstFormat.FooterLength);
    }

    /// <summary>
    /// Decodes and checks the footer of an object of <paramref name="objectSize"/> bytes: checksum, magic, version, and
    /// that filter, index and properties are non-empty blocks lying back to back right before the footer.
    /// </summary>
    /// <exception cref="CorruptionException">Any check fails.</exception>
    public static SstFooter Read(ReadOnlySpan<byte> footer, long objectSize, string objectPath)
    {
        if (footer.Length != SstFormat.FooterLength)
        {
            throw new CorruptionException(objectPath, $"footer: the object is {objectSize} bytes, shorter than the {SstFormat.FooterLength}-byte footer");
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(footer[42..]);
        var actual = Crc32C.Compute(footer[..42]);
        if (expected != actual)
        {
            throw new CorruptionException(objectPath, $"footer: checksum mismatch (stored {expected:x8}, computed {actual:x8})");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(footer[38..]);
        if (magic != SstFormat.Magic)
        {
            throw new CorruptionException(objectPath, $"footer: bad magic 0x{magic:x8} (not an SST)");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(footer[36..]);
        if (version != SstFormat.CurrentVersion)
        {
            throw new CorruptionException(objectPath, $"footer: unsupported format version {version} (this build reads {SstFormat.CurrentVersion})");
        }

        var filterOffset = BinaryPrimitives.ReadUInt64LittleEndian(footer);
        var filterLength = BinaryPrimitives.ReadUInt32LittleEndian(footer[8..]);
        var indexOffset = BinaryPrimitives.ReadUInt64LittleEndian(footer[12..]);
        var indexLength = BinaryPrimitives.ReadUInt32LittleEndian(footer[20..]);
        var propertiesOffset = BinaryPrimitives.ReadUInt64LittleEndian(footer[24..]);
        var propertiesLength = BinaryPrimitives.ReadUInt32LittleEndian(footer[32..]);
        var footerStart = (ulong)(objectSize - SstFormat.FooterLength);
        var minimum = (uint)SstFormat.BlockTrailerLength;
        var valid = indexLength >= minimum && propertiesLength >= minimum
            && (filterLength == 0 ? filterOffset == 0 : filterLength >= minimum && filterOffset <= footerStart && filterOffset + filterLength == indexOffset)
            && indexLength <= int.MaxValue && propertiesLength <= int.MaxValue && filterLength <= int.MaxValue
            && indexOffset <= footerStart && indexOffset + indexLength == propertiesOffset
            && propertiesOffset <= footerStart && propertiesOffset + propertiesLength == footerStart;
        if (!valid)
        {
            throw new CorruptionException(
                objectPath,
                $"footer: blocks filter@{filterOffset}+{filterLength}, index@{indexOffset}+{indexLength}, properties@{propertiesOffset}+{propertiesLength} do not fit an object of {objectSize} bytes");
        }

        return new SstFooter((long)filterOffset, (int)filterLength, (long)indexOffset, (int)indexLength, (long)propertiesOffset, (int)propertiesLength);
    }
}
