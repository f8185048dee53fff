using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SlateDb.Format;

/// <summary>
/// Ordinal key comparison for the read path: keys are compared 8 bytes at a time as big-endian numbers (two loads and
/// one compare for a 16-byte key, inlined), which for short keys beats the general span comparison and its call.
/// </summary>
internal static class KeyCompare
{
    /// <summary>Negative, zero or positive as <paramref name="a"/> sorts before, equal to or after <paramref name="b"/> (ordinal bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => Compare(a, b, out _);

    /// <summary>
    /// As <see cref="Compare(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, also giving the length of the prefix the two
    /// keys share.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out int common)
    {
        var length = Math.Min(a.Length, b.Length);
        var i = 0;
        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            var x = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref ra, i)));
            var y = BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref rb, i)));
            if (x != y)
            {
                common = i + (BitOperations.LeadingZeroCount(x ^ y) >> 3);
                return x < y ? -1 : 1;
            }
        }

        for (; i < length; i++)
        {
            int x = Unsafe.Add(ref ra, i), y = Unsafe.Add(ref rb, i);
            if (x != y)
            {
                common = i;
                return x - y;
            }
        }

        common = length;
        return a.Length - b.Length;
    }

    /// <summary>
    /// The first 8 bytes of <paramref name="key"/> as a big-endian number, zero-padded. When the prefixes of two keys
    /// differ, they order the keys as their bytes do (a shorter key pads with zeros, which sort first); when they are
    /// equal, the keys must be compared in full.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong KeyPrefix(ReadOnlySpan<byte> key)
    {
        if (key.Length >= sizeof(ulong))
        {
            return BinaryPrimitives.ReadUInt64BigEndian(key);
        }

        return ShortKeyPrefix(key);
    }

    // Keys under 8 bytes: their bytes, big-endian, in the high end (kept out of KeyPrefix so that it inlines).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong ShortKeyPrefix(ReadOnlySpan<byte> key)
    {
        ulong prefix = 0;
        for (var i = 0; i < key.Length; i++)
        {
            prefix |= (ulong)key[i] << (56 - (8 * i));
        }

        return prefix;
    }
}
