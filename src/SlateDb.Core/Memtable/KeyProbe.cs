using SlateDb.Read;

namespace SlateDb.Memtable;

/// <summary>
/// A search key for a <see cref="SkipList"/> with the values its comparisons use, computed once per search: key
/// bytes 0..8 and 8..16 as numbers, and its value against hinted links, filled in on the first hinted link met.
/// </summary>
internal ref struct KeyProbe
{
    /// <summary>Creates a probe for (<paramref name="key"/>, <paramref name="seq"/>).</summary>
    public KeyProbe(ReadOnlySpan<byte> key, ulong seq)
    {
        Key = key;
        Seq = seq;
        Prefix = RowOrder.KeyPrefix(key);
        Prefix2 = key.Length > sizeof(ulong) ? RowOrder.KeyPrefix(key[sizeof(ulong)..]) : 0;
    }

    /// <summary>The key.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The sequence number.</summary>
    public ulong Seq { get; }

    /// <summary>Key bytes 0..8, big-endian, zero-padded.</summary>
    public ulong Prefix { get; }

    /// <summary>Key bytes 8..16, big-endian, zero-padded.</summary>
    public ulong Prefix2 { get; }

    /// <summary>Key bytes 0..4, big-endian, zero-padded (what an ordinary link carries).</summary>
    public readonly uint Prefix32 => (uint)(Prefix >> 32);

    /// <summary>Whether <see cref="HintValue"/> is set.</summary>
    public bool HasHintValue { get; private set; }

    /// <summary>The value compared with a hinted link's key bytes plus one (<see cref="KeyHint.SearchValue"/>).</summary>
    public ulong HintValue { get; private set; }

    /// <summary>Sets <see cref="HintValue"/> from <paramref name="hint"/>.</summary>
    public void SetHint(KeyHint hint)
    {
        HintValue = hint.SearchValue(Key);
        HasHintValue = true;
    }
}
