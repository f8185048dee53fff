namespace SlateDb.ObjectStore;

/// <summary>
/// Stores immutable objects by path. Every byte the database keeps goes through this interface, and the
/// manifest and WAL protocols rest on its conditional writes. Implementations are safe for concurrent use.
/// </summary>
/// <remarks>
/// Paths are relative, use <c>/</c> as the separator, never start with <c>/</c> and never contain <c>..</c>
/// segments. Every method raises an <see cref="ObjectStoreException"/> (or a subclass) for store failures,
/// and <see cref="ObjectStoreException.IsTransient"/> says whether retrying may help.
/// </remarks>
public interface IObjectStore
{
    /// <summary>Identifies the store (for example <c>file:///var/data</c>); recorded in the manifest for the WAL store.</summary>
    string Uri { get; }

    /// <summary>Reads an object, or the part of it that <paramref name="range"/> selects.</summary>
    /// <param name="path">The object's path.</param>
    /// <param name="range">
    /// The bytes to read. A range that starts at or past the end of the object returns no bytes; a range that
    /// runs past the end is clamped to the end. <c>null</c> reads the whole object.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The object's metadata and the bytes read. The caller owns the returned memory.</returns>
    /// <exception cref="ObjectNotFoundException">No object exists at <paramref name="path"/>.</exception>
    Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default);

    /// <summary>Reads an object's metadata.</summary>
    /// <exception cref="ObjectNotFoundException">No object exists at <paramref name="path"/>.</exception>
    Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Writes <paramref name="data"/> at <paramref name="path"/>.</summary>
    /// <remarks>
    /// With <see cref="PutMode.Create"/> exactly one of several concurrent writers of one path succeeds; the
    /// others get <see cref="ObjectAlreadyExistsException"/>. With <see cref="PutMode.Update"/> the write takes
    /// effect only if the stored object's etag matches, else <see cref="PreconditionFailedException"/>.
    /// The store reads <paramref name="data"/> only until the returned task completes.
    /// </remarks>
    Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="PutAsync(string, ReadOnlyMemory{byte}, PutMode, CancellationToken)"/>, storing
    /// <paramref name="options"/> (such as the put id a retried create uses to recognise its own write) with the object.
    /// </summary>
    Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lists the objects whose path starts with <paramref name="prefix"/>, in ordinal path order, paging
    /// transparently. <paramref name="startAfter"/> skips every path that is ordinally less than or equal to it.
    /// </summary>
    IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes an object. Deleting a missing object is not an error.</summary>
    Task DeleteAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Copies the object at <paramref name="from"/> to <paramref name="to"/>, overwriting <paramref name="to"/>.</summary>
    /// <exception cref="ObjectNotFoundException">No object exists at <paramref name="from"/>.</exception>
    Task CopyAsync(string from, string to, CancellationToken cancellationToken = default);
}
