namespace SlateDb.ObjectStore;

/// <summary>A failure of an object store operation. The message names the store and the object.</summary>
public class ObjectStoreException : Exception
{
    /// <summary>Creates an exception for an operation on <paramref name="path"/> in the store <paramref name="storeUri"/>.</summary>
    /// <param name="path">The object the operation was about; may be a prefix for listings.</param>
    /// <param name="storeUri">The <see cref="IObjectStore.Uri"/> of the store.</param>
    /// <param name="message">What failed.</param>
    /// <param name="isTransient">Whether retrying the same operation may succeed.</param>
    /// <param name="innerException">The provider's exception, if any.</param>
    public ObjectStoreException(string path, string storeUri, string message, bool isTransient, Exception? innerException = null)
        : base($"{message} (object '{path}' in store '{storeUri}')", innerException)
    {
        Path = path;
        StoreUri = storeUri;
        IsTransient = isTransient;
    }

    /// <summary>The object (or prefix) the failed operation was about.</summary>
    public string Path { get; }

    /// <summary>The <see cref="IObjectStore.Uri"/> of the store that failed.</summary>
    public string StoreUri { get; }

    /// <summary>
    /// True when the failure is temporary (timeouts, throttling, 5xx, connection resets) and the same operation
    /// may succeed if retried; false when retrying cannot help (not found, conflicts, access denied, bad requests).
    /// </summary>
    public bool IsTransient { get; }
}
