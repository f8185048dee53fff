using System.Runtime.CompilerServices;

namespace SlateDb.Memtables;

/// <summary>
/// Orders <see cref="RunEntry"/> values by (key ascending, seq descending), reading key bytes from the arena only
/// when the first 16 bytes and the lengths cannot decide.
/// </summary>
internal readonly struct EntryOrder
{
    private const int PrefixBytes = 2 * sizeof(ulong);

    private readonly ByteArena _arena;

    public EntryOrder(ByteArena arena) => _arena = arena;

    /// <summary>Negative when <paramref name="a"/> comes first, positive when <paramref name="b"/> does, 0 when equal.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Compare(in RunEntry a, in RunEntry b)
    {
        if (a.Prefix != b.Prefix)
        {
            return a.Prefix < b.Prefix ? -1 : 1;
        }

        if (a.Prefix2 != b.Prefix2)
        {
            return a.Prefix2 < b.Prefix2 ? -1 : 1;
        }

        var c = CompareTail(in a, in b);
        if (c != 0)
        {
            return c;
        }

        return a.Seq == b.Seq ? 0 : a.Seq > b.Seq ? -1 : 1;
    }

    /// <summary>Whether two entries have the same key (any seq).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SameKey(in RunEntry a, in RunEntry b)
        => a.Prefix == b.Prefix && a.Prefix2 == b.Prefix2 && CompareTail(in a, in b) == 0;

    /// <summary>(entry key, entry seq) compared with the probe's (key, seq).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Compare(in RunEntry entry, scoped in EntryProbe probe)
    {
        if (entry.Prefix != probe.Prefix)
        {
            return entry.Prefix < probe.Prefix ? -1 : 1;
        }

        if (entry.Prefix2 != probe.Prefix2)
        {
            return entry.Prefix2 < probe.Prefix2 ? -1 : 1;
        }

        var c = CompareTail(in entry, probe.Key);
        if (c != 0)
        {
            return c;
        }

        return entry.Seq == probe.Seq ? 0 : entry.Seq > probe.Seq ? -1 : 1;
    }

    /// <summary>Whether the entry's key is the probe's key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool HasKey(in RunEntry entry, scoped in EntryProbe probe)
        => entry.Prefix == probe.Prefix && entry.Prefix2 == probe.Prefix2 && CompareTail(in entry, probe.Key) == 0;

    /// <summary>
    /// The index of the first entry of <paramref name="run"/> at or after the probe; the run's length when none is.
    /// </summary>
    public int LowerBound(ReadOnlySpan<RunEntry> run, scoped in EntryProbe probe)
    {
        var low = 0;
        var high = run.Length;
        while (low < high)
        {
            var mid = (int)((uint)(low + high) >> 1);
            if (Compare(in run[mid], in probe) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    // Keys whose first 16 bytes (zero-padded) tie: if either is at most 16 bytes long it is a prefix of the other, so
    // the lengths decide; otherwise the bytes after the 16th do.
    private int CompareTail(in RunEntry a, in RunEntry b)
    {
        var lengthA = a.KeyLength;
        var lengthB = b.KeyLength;
        if (lengthA <= PrefixBytes || lengthB <= PrefixBytes)
        {
            return lengthA.CompareTo(lengthB);
        }

        return RowRecord.Key(_arena, in a)[PrefixBytes..].SequenceCompareTo(RowRecord.Key(_arena, in b)[PrefixBytes..]);
    }

    private int CompareTail(in RunEntry a, ReadOnlySpan<byte> key)
    {
        var lengthA = a.KeyLength;
        if (lengthA <= PrefixBytes || key.Length <= PrefixBytes)
        {
            return lengthA.CompareTo(key.Length);
        }

        return RowRecord.Key(_arena, in a)[PrefixBytes..].SequenceCompareTo(key[PrefixBytes..]);
    }
}

/// <summary>A search key for memtable runs: the key, its first 16 bytes as numbers, and a seq.</summary>
internal readonly ref struct EntryProbe
{
    public EntryProbe(ReadOnlySpan<byte> key, ulong seq)
    {
        Key = key;
        Seq = seq;
        Prefix = Format.KeyCompare.KeyPrefix(key);
        Prefix2 = RowRecord.SecondPrefix(key);
    }

    /// <summary>The key.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The seq: a search finds the newest version at or below it.</summary>
    public ulong Seq { get; }

    /// <summary>Key bytes 0..8, big-endian, zero-padded.</summary>
    public ulong Prefix { get; }

    /// <summary>Key bytes 8..16, big-endian, zero-padded.</summary>
    public ulong Prefix2 { get; }
}
