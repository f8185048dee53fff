using System.Text;

namespace SlateDb;

/// <summary>
/// A transaction could not commit: a write committed after it started touched a key it wrote (or, under
/// <see cref="TransactionIsolation.SerializableSnapshot"/>, a key it read or a key inside a range it scanned). Nothing
/// of the transaction was applied; run it again from the start.
/// </summary>
public sealed class TransactionConflictException : SlateDbException
{
    internal TransactionConflictException(string dbPath, ReadOnlySpan<byte> key, ulong committedSeq, ulong startSeq)
        : base(
            SlateDbErrorKind.Conflict,
            $"'{dbPath}': the transaction started at seq {startSeq} conflicts with a write committed at seq {committedSeq} on key {Describe(key)}; nothing was applied.")
    {
        Key = key.ToArray();
        CommittedSeq = committedSeq;
        StartSeq = startSeq;
    }

    /// <summary>A conflicting key.</summary>
    public ReadOnlyMemory<byte> Key { get; }

    /// <summary>The seq of the conflicting committed write.</summary>
    public ulong CommittedSeq { get; }

    /// <summary>The seq the transaction read at.</summary>
    public ulong StartSeq { get; }

    /// <summary>The key as quoted UTF-8 text when it is printable, else as hex (0x...).</summary>
    internal static string Describe(ReadOnlySpan<byte> key)
        => IsPrintableUtf8(key, out var text) ? $"'{text}'" : "0x" + Convert.ToHexString(key);

    private static bool IsPrintableUtf8(ReadOnlySpan<byte> key, out string text)
    {
        text = string.Empty;
        if (!System.Text.Unicode.Utf8.IsValid(key))
        {
            return false;
        }

        text = Encoding.UTF8.GetString(key);
        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }
}
