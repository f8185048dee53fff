namespace SlateDb;

/// <summary>The database was closed (by the caller, or because it was fenced or failed); the message says which.</summary>
public sealed class DbClosedException : SlateDbException
{
    /// <summary>Creates the exception.</summary>
    public DbClosedException(string message, Exception? innerException = null)
        : base(SlateDbErrorKind.Closed, message, innerException)
    {
    }
}
