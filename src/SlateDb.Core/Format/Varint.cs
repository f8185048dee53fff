using System.Runtime.CompilerServices;

namespace SlateDb.Format;

/// <summary>Unsigned LEB128 integers of up to 32 bits: seven bits a byte, low bits first, high bit set on all but the last.</summary>
internal static class Varint
{
    /// <summary>The most bytes a 32-bit varint takes.</summary>
    public const int MaxLength = 5;

    /// <summary>How many bytes <paramref name="value"/> takes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOf(uint value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, uint value)
    {
        if (value < 0x80)
        {
            destination[0] = (byte)value;
            return 1;
        }

        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>
    /// Reads a varint at <paramref name="position"/> and advances it. False when the bytes end inside the varint or
    /// it does not fit 32 bits (then <paramref name="position"/> is unspecified).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> source, ref int position, out uint value)
    {
        if ((uint)position < (uint)source.Length && source[position] < 0x80)
        {
            value = source[position++];
            return true;
        }

        return TryReadSlow(source, ref position, out value);
    }

    private static bool TryReadSlow(ReadOnlySpan<byte> source, ref int position, out uint value)
    {
        value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if ((uint)position >= (uint)source.Length)
            {
                return false;
            }

            uint b = source[position++];
            if (shift == 28 && b > 0x0F)
            {
                return false;
            }

            value |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }
}
