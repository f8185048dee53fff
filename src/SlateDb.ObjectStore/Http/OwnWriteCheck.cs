namespace SlateDb.ObjectStore;

/// <summary>
/// Recognises a conditional put that failed only because an earlier attempt of the same put already landed.
/// </summary>
/// <remarks>
/// Cloud SDKs retry failed requests on their own. When the first attempt of a create (or update) took effect but
/// its response was lost, the SDK's retry sees the object it just wrote and reports a conflict. A put carrying a
/// <see cref="PutOptions.PutId"/> stores it as object metadata, so the store can read the object back and, if it
/// carries the same put id, report success instead of a conflict.
/// </remarks>
internal static class OwnWriteCheck
{
    /// <summary>
    /// Returns the object's metadata when <paramref name="mapped"/> is a conflict and the object at
    /// <paramref name="path"/> was written by the put identified by <paramref name="options"/>; otherwise throws
    /// <paramref name="mapped"/>.
    /// </summary>
    public static async Task<ObjectMeta> OwnWriteOrThrowAsync(Exception mapped, IObjectStore store, string path, PutOptions options, CancellationToken cancellationToken)
    {
        if (mapped is ObjectAlreadyExistsException or PreconditionFailedException
            && await FindOwnWriteAsync(store, path, options, cancellationToken).ConfigureAwait(false) is { } own)
        {
            return own;
        }

        throw mapped;
    }

    /// <summary>
    /// Returns the object's metadata when the object at <paramref name="path"/> was written by the put identified by
    /// <paramref name="options"/>; null when it was not, when the put had no id, or when the object is gone.
    /// </summary>
    public static async Task<ObjectMeta?> FindOwnWriteAsync(IObjectStore store, string path, PutOptions options, CancellationToken cancellationToken)
    {
        if (options.PutId is null)
        {
            return null;
        }

        try
        {
            var meta = await store.HeadAsync(path, cancellationToken).ConfigureAwait(false);
            return string.Equals(meta.PutId, options.PutId, StringComparison.Ordinal) ? meta : null;
        }
        catch (ObjectStoreException)
        {
            return null;
        }
    }
}
