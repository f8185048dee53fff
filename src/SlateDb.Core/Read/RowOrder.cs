using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>The order every row source shares: key ascending (ordinal bytes), then seq descending.</summary>
internal static class RowOrder
{
    /// <summary>Negative when (keyA, seqA) comes first, positive when (keyB, seqB) does, zero when equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> keyA, ulong seqA, ReadOnlySpan<byte> keyB, ulong seqB)
    {
        var c = keyA.SequenceCompareTo(keyB);
        if (c != 0)
        {
            return c;
        }

        return seqA == seqB ? 0 : seqA > seqB ? -1 : 1;
    }

    /// <summary>Compares two rows by (key ascending, seq descending).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(in Row a, in Row b) => Compare(a.Key.Span, a.Seq, b.Key.Span, b.Seq);

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
