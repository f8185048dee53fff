namespace SlateDb;

/// <summary>
/// The rows of one WAL object, in sequence-number order, as the change feed delivers them: one batch per WAL object, in
/// WAL id order. A batch may hold no rows: a writer's fence object holds none (<see cref="IsFence"/>), and rows already
/// delivered before the cursor the feed started from are left out. Every batch moves the cursor.
/// </summary>
public sealed class ChangeBatch
{
    internal ChangeBatch(ulong walId, bool isFence, IReadOnlyList<ChangeRow> rows, ChangeCursor before, ulong maxSeq)
    {
        WalId = walId;
        IsFence = isFence;
        Rows = rows;
        Cursor = new ChangeCursor(walId, Math.Max(before.Seq, maxSeq));
    }

    /// <summary>The WAL id of the object the rows come from.</summary>
    public ulong WalId { get; }

    /// <summary>Whether the object is a writer's fence (stored when a writer opens; it holds no data, so <see cref="Rows"/> is empty).</summary>
    public bool IsFence { get; }

    /// <summary>The rows, in the order they were written (sequence numbers ascending; the rows of one write batch share one).</summary>
    public IReadOnlyList<ChangeRow> Rows { get; }

    /// <summary>The cursor after this batch: persist it once the rows are applied, and resume from it.</summary>
    public ChangeCursor Cursor { get; }

    /// <summary>
    /// The cursor after <c>Rows[index]</c> and the rows of its write batch (the rows sharing its sequence number), for a
    /// consumer that persists its position within a batch. Resuming from it re-reads this WAL object and skips the rows up
    /// to that sequence number.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a row of this batch.</exception>
    /// <exception cref="ArgumentException">The next row has the same sequence number: a cursor falls only between write
    /// batches, so persist it after the last row of a sequence number.</exception>
    public ChangeCursor CursorAfter(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Rows.Count);
        if (index == Rows.Count - 1)
        {
            return Cursor;
        }

        var seq = Rows[index].Seq;
        if (Rows[index + 1].Seq == seq)
        {
            throw new ArgumentException(
                $"Row {index} of WAL object {WalId} is not the last row of its write batch (row {index + 1} has the same sequence number {seq}); " +
                "a cursor falls only between write batches.",
                nameof(index));
        }

        return new ChangeCursor(WalId - 1, seq);
    }

    /// <inheritdoc />
    public override string ToString() => $"WAL object {WalId}: {Rows.Count} rows{(IsFence ? " (fence)" : "")}, cursor {Cursor}";
}
