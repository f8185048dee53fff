namespace SlateDb.ObjectStore;

/// <summary>A <see cref="PutMode.Create"/> found an object already at the path; nothing was written.</summary>
public sealed class ObjectAlreadyExistsException : ObjectStoreException
{
    /// <summary>Creates the exception for <paramref name="path"/> in <paramref name="storeUri"/>.</summary>
    public ObjectAlreadyExistsException(string path, string storeUri, Exception? innerException = null)
        : base(path, storeUri, "Object already exists", isTransient: false, innerException)
    {
    }
}
