namespace SlateDb;

/// <summary>
/// One row of a WAL object as the writer stored it: a put, a delete or a merge operand of one key at one sequence number.
/// Merge operands are not applied. The key and value are copies the caller owns.
/// </summary>
public sealed class ChangeRow
{
    internal ChangeRow(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, ulong seq, ChangeKind kind, long createTimestamp, long? expireTimestamp)
    {
        Key = key;
        Value = value;
        Seq = seq;
        Kind = kind;
        CreateTimestamp = createTimestamp;
        ExpireTimestamp = expireTimestamp;
    }

    /// <summary>The key (never empty).</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>The value of a put or the operand of a merge; empty for a delete.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>The sequence number of the write; every row of one write batch has the same one, and later writes larger ones.</summary>
    public ulong Seq { get; }

    /// <summary>Put, delete or merge.</summary>
    public ChangeKind Kind { get; }

    /// <summary>When the writer wrote the row: its clock in milliseconds since the Unix epoch.</summary>
    public long CreateTimestamp { get; }

    /// <summary>When the row expires, in milliseconds since the Unix epoch; null when it does not (deletes never do).</summary>
    public long? ExpireTimestamp { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Convert.ToHexString(Key.Span)}@{Seq} ({Value.Length} bytes)";
}
