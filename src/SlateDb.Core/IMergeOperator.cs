namespace SlateDb;

/// <summary>
/// Combines merge operands (<see cref="Db.MergeAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, WriteOptions?, CancellationToken)"/>,
/// <see cref="WriteBatch.Merge(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>) with a key's value. Configured through
/// <see cref="Settings.MergeOperator"/>; a database that holds merge operands needs the same operator every time it is
/// opened (by a writer, a <see cref="DbReader"/> or a standalone <see cref="Compactor"/>).
/// </summary>
/// <remarks>
/// <para>The operator must be <b>associative</b>: <c>Merge(k, Merge(k, a, b), c)</c> equals <c>Merge(k, a, Merge(k, b, c))</c>,
/// because the database folds operands at different times (when a batch is written, on reads, when memtables are flushed
/// and when SSTs are compacted) and may fold two operands together before the value they apply to is known (then
/// <c>existing</c> is the older operand). It must also be deterministic and free of side effects, and it must be
/// thread-safe: reads and compactions call it concurrently.</para>
/// <para>An exception it throws reaches the caller of the read or write that needed the merge as a
/// <see cref="MergeOperatorException"/> naming the key; flushes and compactions then keep the operands unmerged, so no
/// data is lost.</para>
/// </remarks>
public interface IMergeOperator
{
    /// <summary>
    /// The result of applying <paramref name="operand"/> to <paramref name="existing"/> (null when the key has no value:
    /// it was never written, was deleted, or expired).
    /// </summary>
    /// <param name="key">The key being merged.</param>
    /// <param name="existing">The older value, or an older operand when operands are combined among themselves; null when there is none.</param>
    /// <param name="operand">The newer operand.</param>
    /// <returns>The merged value (the database keeps the array; do not change it afterwards).</returns>
    byte[] Merge(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, ReadOnlyMemory<byte> operand);

    /// <summary>
    /// The result of applying <paramref name="operands"/>, oldest first, to <paramref name="existing"/>. The default folds
    /// them one at a time with <see cref="Merge"/>; override it when many operands can be combined at once more cheaply.
    /// </summary>
    /// <param name="key">The key being merged.</param>
    /// <param name="existing">The older value (or operand), or null when there is none.</param>
    /// <param name="operands">The operands, oldest first; at least one.</param>
    /// <returns>The merged value (the database keeps the array).</returns>
    byte[] MergeBatch(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte>? existing, IReadOnlyList<ReadOnlyMemory<byte>> operands)
    {
        ArgumentNullException.ThrowIfNull(operands);
        if (operands.Count == 0)
        {
            throw new ArgumentException("At least one operand is needed.", nameof(operands));
        }

        var value = existing;
        byte[] merged = [];
        foreach (var operand in operands)
        {
            merged = Merge(key, value, operand);
            value = merged;
        }

        return merged;
    }
}
