namespace SlateDb;

/// <summary>The base of every error the database raises (argument errors use the BCL's <see cref="ArgumentException"/> family).</summary>
public class SlateDbException : Exception
{
    /// <summary>Creates an exception of the given kind.</summary>
    public SlateDbException(SlateDbErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What the caller can do: retry, fix input, reopen, or page someone.</summary>
    public SlateDbErrorKind Kind { get; }
}
