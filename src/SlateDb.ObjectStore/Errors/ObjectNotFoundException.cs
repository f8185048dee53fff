namespace SlateDb.ObjectStore;

/// <summary>No object exists at the path.</summary>
public sealed class ObjectNotFoundException : ObjectStoreException
{
    /// <summary>Creates the exception for <paramref name="path"/> in <paramref name="storeUri"/>.</summary>
    public ObjectNotFoundException(string path, string storeUri, Exception? innerException = null)
        : base(path, storeUri, "Object not found", isTransient: false, innerException)
    {
    }
}
