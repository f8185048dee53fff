namespace SlateDb.ObjectStore;

/// <summary>
/// Recognises a conditional put that failed only because an earlier attempt of the same put already landed.
/// </summary>
/// <remarks>
/// <para>
/// Cloud SDKs retry failed requests on their own. When the first attempt of a create (or update) took effect but
/// its response was lost, the SDK's retry sees the object it just wrote and reports a conflict. A put carrying a
/// <see cref="PutOptions.PutId"/> stores it as object metadata, so the store can read the object back and, if it
/// carries the same put id, report success instead of a conflict.
/// </para>
/// <para>
/// Invariants: only a definite answer of the HEAD decides. The object carries our put id: our write, success. It
/// carries another (or none), or it is gone: the conflict is real and is thrown. A HEAD that fails is no answer:
/// a transient failure is retried (up to <see cref="MaxAttempts"/> HEADs, doubling waits from
/// <see cref="FirstDelay"/> on the store's clock), and a failure that persists is thrown as an
/// <see cref="ObjectStoreException"/> saying the put's outcome is unknown — never as the conflict, which would
/// tell a live writer that another one took its place.
/// </para>
/// </remarks>
internal static class OwnWriteCheck
{
    /// <summary>The most HEADs one check makes.</summary>
    internal const int MaxAttempts = 5;

    /// <summary>The wait before the second HEAD; each later wait doubles it.</summary>
    internal static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Returns the object's metadata when <paramref name="mapped"/> is a conflict and the object at
    /// <paramref name="path"/> was written by the put identified by <paramref name="options"/>; throws
    /// <paramref name="mapped"/> when the conflict is real, and an <see cref="ObjectStoreException"/> when the
    /// object could not be read back.
    /// </summary>
    public static async Task<ObjectMeta> OwnWriteOrThrowAsync(
        Exception mapped, IObjectStore store, string path, PutOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        if (mapped is ObjectAlreadyExistsException or PreconditionFailedException
            && options.PutId is { } putId
            && await FindOwnWriteAsync(store, path, putId, time, cancellationToken).ConfigureAwait(false) is { } own)
        {
            return own;
        }

        throw mapped;
    }

    /// <summary>
    /// Returns the object's metadata when the object at <paramref name="path"/> carries <paramref name="putId"/>;
    /// null when it carries another or is gone.
    /// </summary>
    /// <exception cref="ObjectStoreException">The HEAD kept failing: whether the object is ours is unknown.</exception>
    private static async Task<ObjectMeta?> FindOwnWriteAsync(IObjectStore store, string path, string putId, TimeProvider time, CancellationToken cancellationToken)
    {
        var delay = FirstDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var meta = await store.HeadAsync(path, cancellationToken).ConfigureAwait(false);
                return string.Equals(meta.PutId, putId, StringComparison.Ordinal) ? meta : null;
            }
            catch (ObjectNotFoundException)
            {
                return null;
            }
            catch (ObjectStoreException ex) when (ex.IsTransient && attempt < MaxAttempts)
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
            catch (ObjectStoreException ex)
            {
                throw new ObjectStoreException(
                    path,
                    store.Uri,
                    $"The put's outcome is unknown: it reported a conflict, and reading the object back to see whether an earlier attempt of this put landed failed ({attempt} tries; last: {ex.Message})",
                    ex.IsTransient,
                    ex);
            }
        }
    }
}
