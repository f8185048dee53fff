using System.Buffers.Binary;
using SlateDb.Infrastructure;

namespace SlateDb.Wal;

// The WAL fence object (Format/README.md "WAL fence"), 18 bytes, little-endian:
//
//   u32 magic "SDBF" | u16 version (1) | u64 writer_epoch | u32 crc32c(previous 14 bytes)
//
// Invariants
//  1. A fence is self-describing: replay accepts an object as a fence only when it has exactly this length, the
//     magic, the version and a matching checksum. Anything else in the replay range must be a valid WAL SST.
//  2. A WAL SST is never this short (its footer alone is SstFormat.FooterLength bytes), so a listing's size tells a
//     fence candidate from a WAL SST; a zero-byte object is neither and is corruption (a truncated WAL object).

/// <summary>Encodes and verifies the small object a writer stores at its fence WAL id.</summary>
internal static class WalFenceObject
{
    /// <summary>The size of every fence object.</summary>
    public const int Length = sizeof(uint) + sizeof(ushort) + sizeof(ulong) + sizeof(uint);

    /// <summary>"SDBF" read as a little-endian u32: the first field of a fence.</summary>
    public const uint Magic = 'S' | ('D' << 8) | ('B' << 16) | ('F' << 24);

    /// <summary>The fence format version this code writes; readers reject any other.</summary>
    public const ushort CurrentVersion = 1;

    private const int ChecksumOffset = Length - sizeof(uint);

    /// <summary>The fence of the writer with epoch <paramref name="writerEpoch"/>.</summary>
    public static byte[] Encode(ulong writerEpoch)
    {
        var bytes = new byte[Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), CurrentVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(6), writerEpoch);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(ChecksumOffset), Crc32C.Compute(bytes.AsSpan(0, ChecksumOffset)));
        return bytes;
    }

    /// <summary>The writer epoch a fence records.</summary>
    /// <param name="bytes">The whole object.</param>
    /// <param name="path">The object's path, for the error.</param>
    /// <exception cref="CorruptionException">The bytes are not a valid fence; the detail says what failed.</exception>
    public static ulong Decode(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length != Length)
        {
            throw new CorruptionException(path, $"a WAL fence is {Length} bytes, this object is {bytes.Length}");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (magic != Magic)
        {
            throw new CorruptionException(path, $"the WAL fence magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"SDBF\")");
        }

        var stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[ChecksumOffset..]);
        var computed = Crc32C.Compute(bytes[..ChecksumOffset]);
        if (stored != computed)
        {
            throw new CorruptionException(path, $"the WAL fence checksum is 0x{stored:X8}, the bytes give 0x{computed:X8}");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != CurrentVersion)
        {
            throw new CorruptionException(path, $"the WAL fence format version is {version}; this build reads version {CurrentVersion}");
        }

        return BinaryPrimitives.ReadUInt64LittleEndian(bytes[6..]);
    }
}
