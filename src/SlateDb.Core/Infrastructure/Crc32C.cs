using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SlateDb.Infrastructure;

/// <summary>CRC-32C (Castagnoli) over spans, hardware-accelerated through <see cref="BitOperations.Crc32C(uint, ulong)"/>.</summary>
/// <remarks>
/// One CRC instruction depends on the previous one's result, so a single stream runs at the instruction's latency.
/// Inputs of at least <see cref="InterleaveMinLength"/> bytes are therefore processed in rounds of three independent
/// <see cref="StripeLength"/>-byte stripes whose CRCs the CPU computes in parallel; the stripes' registers are then
/// combined. CRC is linear over GF(2): the register after stripes A then B equals the register after A shifted over
/// <see cref="StripeLength"/> zero bytes, xor the register of B computed from zero. The shift is a linear map of the
/// 32-bit register, applied through four 256-entry tables built at start-up by feeding zero bytes to each byte value.
/// </remarks>
internal static class Crc32C
{
    /// <summary>The bytes of each of the three streams in one round.</summary>
    internal const int StripeLength = 256;

    /// <summary>Inputs shorter than this are processed as a single stream.</summary>
    internal const int InterleaveMinLength = 3 * StripeLength;

    // ShiftTable[k][b] is the register obtained from (b << 8k) after StripeLength zero bytes.
    private static readonly uint[] ShiftTable = BuildShiftTable();

    /// <summary>The checksum of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    /// <summary>Extends a checksum computed over earlier bytes with <paramref name="data"/>.</summary>
    public static uint Append(uint checksum, ReadOnlySpan<byte> data)
    {
        var crc = ~checksum;
        if (data.Length >= InterleaveMinLength)
        {
            crc = Interleaved(crc, ref data);
        }

        return ~Update(crc, data);
    }

    // Updates the raw register over data, one stream.
    private static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        var words = data.Length & ~(sizeof(ulong) - 1);
        for (var i = 0; i < words; i += sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, ReadUInt64(ref start, i));
        }

        foreach (var b in data[words..])
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return crc;
    }

    // Consumes whole rounds of three stripes from data and returns the raw register after them.
    private static uint Interleaved(uint crc, ref ReadOnlySpan<byte> data)
    {
        var table = ShiftTable.AsSpan();
        var rounds = data.Length / InterleaveMinLength;
        ref var start = ref MemoryMarshal.GetReference(data);
        for (var round = 0; round < rounds; round++)
        {
            // The three stripes of this round, read 8 bytes at a time (bounds: round < rounds covers every read).
            ref var a = ref Unsafe.Add(ref start, round * InterleaveMinLength);
            ref var b = ref Unsafe.Add(ref a, StripeLength);
            ref var c = ref Unsafe.Add(ref a, 2 * StripeLength);
            uint crcB = 0, crcC = 0;
            for (var i = 0; i < StripeLength; i += sizeof(ulong))
            {
                crc = BitOperations.Crc32C(crc, ReadUInt64(ref a, i));
                crcB = BitOperations.Crc32C(crcB, ReadUInt64(ref b, i));
                crcC = BitOperations.Crc32C(crcC, ReadUInt64(ref c, i));
            }

            crc = Shift(table, Shift(table, crc) ^ crcB) ^ crcC;
        }

        data = data[(rounds * InterleaveMinLength)..];
        return crc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadUInt64(ref byte source, int offset)
    {
        var value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    // The register after StripeLength zero bytes starting from crc.
    private static uint Shift(ReadOnlySpan<uint> table, uint crc)
        => table[(int)(crc & 0xFF)] ^ table[256 + (int)((crc >> 8) & 0xFF)]
           ^ table[512 + (int)((crc >> 16) & 0xFF)] ^ table[768 + (int)(crc >> 24)];

    private static uint[] BuildShiftTable()
    {
        var table = new uint[4 * 256];
        for (var k = 0; k < 4; k++)
        {
            for (var b = 0; b < 256; b++)
            {
                var crc = (uint)b << (8 * k);
                for (var i = 0; i < StripeLength; i += sizeof(ulong))
                {
                    crc = BitOperations.Crc32C(crc, 0UL);
                }

                table[(256 * k) + b] = crc;
            }
        }

        return table;
    }
}
