namespace SlateDb.Format;

/// <summary>
/// One version of one key: the unit the memtable, SSTs, the WAL and every iterator carry.
/// Key and value are views; who owns the memory is stated by whoever hands the row out
/// (an iterator's <c>Current</c> is valid until its next move).
/// </summary>
internal readonly struct Row
{
    /// <summary>Marks a row without an expiry time.</summary>
    public const long NoExpiry = long.MaxValue;

    public Row(ReadOnlyMemory<byte> key, ulong seq, RowKind kind, ReadOnlyMemory<byte> value, long createTs, long expireTs = NoExpiry)
    {
        Key = key;
        Seq = seq;
        Kind = kind;
        Value = value;
        CreateTs = createTs;
        ExpireTs = expireTs;
    }

    /// <summary>The user key (non-empty).</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>The sequence number; a larger one is newer.</summary>
    public ulong Seq { get; }

    /// <summary>Put, delete or merge.</summary>
    public RowKind Kind { get; }

    /// <summary>The value; empty for <see cref="RowKind.Delete"/>.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>When the row was written, in milliseconds since the Unix epoch.</summary>
    public long CreateTs { get; }

    /// <summary>When the row expires, in milliseconds since the Unix epoch; <see cref="NoExpiry"/> when it does not.</summary>
    public long ExpireTs { get; }

    /// <summary>Whether the row has an expiry time.</summary>
    public bool HasExpiry => ExpireTs != NoExpiry;

    /// <summary>Whether this row is a tombstone.</summary>
    public bool IsDelete => Kind == RowKind.Delete;

    /// <summary>Whether the row has expired at <paramref name="nowMs"/>.</summary>
    public bool IsExpiredAt(long nowMs) => ExpireTs <= nowMs;

    /// <summary>A copy whose key and value own their memory (for callers that keep the row past the next move).</summary>
    public Row Detach() => new(Key.ToArray(), Seq, Kind, Value.IsEmpty ? ReadOnlyMemory<byte>.Empty : Value.ToArray(), CreateTs, ExpireTs);

    /// <inheritdoc />
    public override string ToString() => $"{Convert.ToHexString(Key.Span)}@{Seq} {Kind} ({Value.Length} bytes)";
}
