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
}
