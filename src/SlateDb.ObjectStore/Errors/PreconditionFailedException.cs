namespace SlateDb.ObjectStore;

/// <summary>A <see cref="PutMode.Update"/> found a different etag (or no object); nothing was written.</summary>
public sealed class PreconditionFailedException : ObjectStoreException
{
    /// <summary>Creates the exception for <paramref name="path"/> in <paramref name="storeUri"/>.</summary>
    /// <param name="path">The object.</param>
    /// <param name="storeUri">The store.</param>
    /// <param name="expectedETag">The etag the update required.</param>
    /// <param name="innerException">The provider's exception, if any.</param>
    public PreconditionFailedException(string path, string storeUri, string? expectedETag, Exception? innerException = null)
        : base(path, storeUri, $"Precondition failed: the object's etag is not '{expectedETag}'", isTransient: false, innerException)
    {
        ExpectedETag = expectedETag;
    }

    /// <summary>The etag the update required.</summary>
    public string? ExpectedETag { get; }
}
