namespace SlateDb;

/// <summary>What a row of the change feed (<see cref="ChangeRow"/>) records about its key.</summary>
public enum ChangeKind
{
    /// <summary>The key was set to <see cref="ChangeRow.Value"/>.</summary>
    Put,

    /// <summary>The key was deleted (a tombstone; the value is empty).</summary>
    Delete,

    /// <summary>A merge operand for the key (<see cref="ChangeRow.Value"/>), not yet folded into its value.</summary>
    Merge,

    /// <summary>
    /// Every key from <see cref="ChangeRow.Key"/> (inclusive; a single 0x00 byte when the range had no start) to
    /// <see cref="ChangeRow.Value"/> (exclusive; empty when the range had no end) was deleted (a range tombstone).
    /// </summary>
    DeleteRange,
}
