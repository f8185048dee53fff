namespace SlateDb;

/// <summary>A newer writer has opened the database; this instance can no longer write and has closed.</summary>
public sealed class FencedException : SlateDbException
{
    /// <summary>Creates the exception.</summary>
    public FencedException(string message, Exception? innerException = null)
        : base(SlateDbErrorKind.Fenced, message, innerException)
    {
    }
}
