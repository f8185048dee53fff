namespace SlateDb;

/// <summary>An object failed verification (checksum, magic, version, bounds) or an object the database needs is missing.</summary>
public sealed class CorruptionException : SlateDbException
{
    /// <summary>Creates the exception for <paramref name="objectPath"/>.</summary>
    /// <param name="objectPath">The object that failed.</param>
    /// <param name="detail">What failed to verify, naming the part (footer, index, block n, ...).</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public CorruptionException(string objectPath, string detail, Exception? innerException = null)
        : base(SlateDbErrorKind.Data, $"'{objectPath}' failed verification: {detail}", innerException)
    {
        ObjectPath = objectPath;
        Detail = detail;
    }

    /// <summary>The object that failed verification.</summary>
    public string ObjectPath { get; }

    /// <summary>What failed, without the object path.</summary>
    public string Detail { get; }
}
