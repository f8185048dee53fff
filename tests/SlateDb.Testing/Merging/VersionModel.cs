namespace SlateDb.Testing.Merging;

/// <summary>The kind of a version in <see cref="VersionModel"/>.</summary>
public enum VersionKind
{
    Put,
    Delete,
    Merge,
}

/// <summary>
/// The reference model for merges and time to live: every version of every key (seq, kind, value, expiry), resolved
/// the way the database defines it. A read at seq <c>s</c> and time <c>t</c> walks the versions with seq ≤ s newest
/// first: a live put is the base value, a tombstone or an expired put means no base, an expired merge operand is
/// skipped, and the operands met on the way are applied oldest first to the base.
/// </summary>
public sealed class VersionModel
{
    private readonly SortedDictionary<byte[], List<Version>> _versions = new(Simulation.Bytes.Ordinal);
    private readonly IMergeOperator _operator;

    public VersionModel(IMergeOperator mergeOperator) => _operator = mergeOperator;

    /// <summary>The keys ever written, in key order.</summary>
    public IEnumerable<byte[]> Keys => _versions.Keys;

    /// <summary>Records one version (seqs grow; one write may record several keys at one seq).</summary>
    public void Add(byte[] key, ulong seq, VersionKind kind, byte[] value, long expireMs = long.MaxValue)
    {
        if (!_versions.TryGetValue(key, out var list))
        {
            _versions[key] = list = [];
        }

        list.Add(new Version(seq, kind, value, kind == VersionKind.Delete ? long.MaxValue : expireMs));
    }

    /// <summary>The value of <paramref name="key"/> at <paramref name="seq"/> and <paramref name="nowMs"/>, or null.</summary>
    public byte[]? Get(byte[] key, ulong seq, long nowMs)
    {
        if (!_versions.TryGetValue(key, out var list))
        {
            return null;
        }

        var operands = new List<ReadOnlyMemory<byte>>();
        byte[]? baseValue = null;
        for (var i = list.Count - 1; i >= 0; i--)
        {
            var v = list[i];
            if (v.Seq > seq)
            {
                continue;
            }

            var expired = v.ExpireMs <= nowMs;
            if (v.Kind == VersionKind.Merge)
            {
                if (!expired)
                {
                    operands.Add(v.Value);
                }

                continue;
            }

            baseValue = v.Kind == VersionKind.Put && !expired ? v.Value : null;
            break;
        }

        if (operands.Count == 0)
        {
            return baseValue;
        }

        operands.Reverse();

        // Typed null: a plain null here would convert through byte[] to an empty (not a missing) value.
        var existing = baseValue is null ? (ReadOnlyMemory<byte>?)null : baseValue;
        return _operator.MergeBatch(key, existing, operands);
    }

    /// <summary>Every key with a value at <paramref name="seq"/> and <paramref name="nowMs"/>, in key order.</summary>
    public List<(byte[] Key, byte[] Value)> Scan(ulong seq, long nowMs)
    {
        var result = new List<(byte[], byte[])>();
        foreach (var key in _versions.Keys)
        {
            if (Get(key, seq, nowMs) is { } value)
            {
                result.Add((key, value));
            }
        }

        return result;
    }

    private readonly record struct Version(ulong Seq, VersionKind Kind, byte[] Value, long ExpireMs);
}
