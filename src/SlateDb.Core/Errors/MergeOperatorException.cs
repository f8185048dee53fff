namespace SlateDb;

/// <summary>
/// A merge could not be resolved: the configured <see cref="IMergeOperator"/> threw (the inner exception), or the key holds
/// merge operands but no operator is configured (<see cref="Settings.MergeOperator"/>). Nothing stored was changed.
/// </summary>
public sealed class MergeOperatorException : SlateDbException
{
    internal MergeOperatorException(ReadOnlySpan<byte> key, string message, Exception? innerException = null)
        : base(SlateDbErrorKind.Invalid, message, innerException)
    {
        Key = key.ToArray();
    }

    /// <summary>The key whose operands could not be merged.</summary>
    public ReadOnlyMemory<byte> Key { get; }

    internal static MergeOperatorException NoOperator(ReadOnlySpan<byte> key)
        => new(
            key,
            $"Key {TransactionConflictException.Describe(key)} holds merge operands, but no merge operator is configured: set {nameof(Settings)}.{nameof(Settings.MergeOperator)} "
            + "to the operator the operands were written with (for a DbReader, in DbReaderOptions.Settings).");

    internal static MergeOperatorException Threw(ReadOnlySpan<byte> key, IMergeOperator mergeOperator, Exception e)
        => new(
            key,
            $"The merge operator {mergeOperator.GetType().FullName} ({nameof(Settings)}.{nameof(Settings.MergeOperator)}) threw while merging key {TransactionConflictException.Describe(key)}: {e.Message}",
            e);
}
