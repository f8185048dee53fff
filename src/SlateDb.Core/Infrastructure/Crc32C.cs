using System.Buffers.Binary;
using System.Numerics;

namespace SlateDb.Infrastructure;

/// <summary>CRC-32C (Castagnoli) over spans, hardware-accelerated through <see cref="BitOperations.Crc32C(uint, ulong)"/>.</summary>
internal static class Crc32C
{
    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Extends a checksum computed over earlier bytes with <paramref name="data"/>.</summary>
    public static uint Append(uint checksum, ReadOnlySpan<byte> data)
    {
        var crc = ~checksum;
        while (data.Length >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
