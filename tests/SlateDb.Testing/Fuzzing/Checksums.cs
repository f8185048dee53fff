using System.Buffers.Binary;
using SlateDb.Format;
using SlateDb.Infrastructure;

namespace SlateDb.Testing.Fuzzing;

/// <summary>
/// Recomputes the checksums of a mutated object, so that fuzzing reaches the decoding behind them: a mutation that
/// only breaks a checksum tests one comparison, a resealed one tests every field after it.
/// </summary>
internal static class Checksums
{
    /// <summary>A copy of a stored block (<c>payload | codec | crc32c</c>) with its checksum recomputed, or null when too short.</summary>
    public static byte[]? ResealBlock(byte[] stored)
    {
        if (stored.Length < SstFormat.BlockTrailerLength)
        {
            return null;
        }

        var copy = (byte[])stored.Clone();
        ResealBlockInPlace(copy);
        return copy;
    }

    /// <summary>A copy of an object whose last four bytes are a CRC32C of the rest (manifests, compactor states, fences), resealed; null when too short.</summary>
    public static byte[]? ResealTrailingCrc(byte[] bytes, int coveredLength = -1)
    {
        if (bytes.Length < sizeof(uint) + 1)
        {
            return null;
        }

        var copy = (byte[])bytes.Clone();
        var covered = coveredLength < 0 ? copy.Length - sizeof(uint) : Math.Min(coveredLength, copy.Length - sizeof(uint));
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(covered), Crc32C.Compute(copy.AsSpan(0, covered)));
        return copy;
    }

    /// <summary>
    /// A copy of an SST with every checksum it can locate recomputed: the footer's, then the properties, index and
    /// filter blocks' (where the footer places them inside the object), then each data block's (where the index, if it
    /// decodes, places them). Null when the object is shorter than a footer.
    /// </summary>
    public static byte[]? ResealSst(byte[] sst)
    {
        if (sst.Length < SstFormat.FooterLength)
        {
            return null;
        }

        var copy = (byte[])sst.Clone();
        var footer = copy.AsSpan(copy.Length - SstFormat.FooterLength);
        var footerStart = (ulong)(copy.Length - SstFormat.FooterLength);
        ReadOnlySpan<(int OffsetAt, int LengthAt)> parts = [(0, 8), (12, 20), (24, 32)];
        foreach (var (offsetAt, lengthAt) in parts)
        {
            var offset = BinaryPrimitives.ReadUInt64LittleEndian(footer[offsetAt..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(footer[lengthAt..]);
            if (length >= SstFormat.BlockTrailerLength && offset <= footerStart && length <= footerStart - offset)
            {
                ResealBlockInPlace(copy.AsSpan((int)offset, (int)length));
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(footer[42..], Crc32C.Compute(footer[..42]));
        try
        {
            var reader = SstReader.Open(copy, "reseal.sst");
            for (var i = 0; i < reader.BlockCount; i++)
            {
                ResealBlockInPlace(copy.AsSpan((int)reader.Index.BlockOffset(i), reader.Index.BlockLength(i)));
            }
        }
        catch (CorruptionException)
        {
            // The metadata does not decode even resealed: the data blocks cannot be located.
        }

        return copy;
    }

    private static void ResealBlockInPlace(Span<byte> stored)
    {
        var covered = stored.Length - sizeof(uint);
        BinaryPrimitives.WriteUInt32LittleEndian(stored[covered..], Crc32C.Compute(stored[..covered]));
    }
}
