using System.Runtime.CompilerServices;

namespace SlateDb.ObjectStore;

/// <summary>
/// Roots a store at <c>prefix/</c> of another: path <c>p</c> here is <c>prefix/p</c> in the inner store. Listings
/// and errors are translated back, so callers never see the prefix.
/// </summary>
public sealed class PrefixedObjectStore : IObjectStore
{
    private readonly IObjectStore _inner;
    private readonly string _root;

    /// <summary>Wraps <paramref name="inner"/>, rooted at <paramref name="prefix"/>.</summary>
    /// <param name="inner">The store holding the objects.</param>
    /// <param name="prefix">A valid object path such as <c>tenants/42</c>; one trailing '/' is allowed and ignored.</param>
    /// <exception cref="ArgumentException"><paramref name="prefix"/> is empty, absolute, or has '.', '..' or empty segments.</exception>
    public PrefixedObjectStore(IObjectStore inner, string prefix)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(prefix);
        var trimmed = prefix.EndsWith('/') ? prefix[..^1] : prefix;
        ObjectPaths.ValidatePath(trimmed, nameof(prefix));
        _inner = inner;
        Prefix = trimmed;
        _root = trimmed + "/";
        Uri = StoreUri.AppendPath(inner.Uri, trimmed);
    }

    /// <summary>
    /// The inner store's URI with <c>/prefix</c> (percent-escaped per segment) added to its path, before any query:
    /// for a file, S3 or Azure store, <see cref="ObjectStores.FromUri(string)"/> of it opens this same root.
    /// </summary>
    public string Uri { get; }

    /// <summary>The prefix, without a trailing '/'.</summary>
    public string Prefix { get; }

    /// <summary>The wrapped store.</summary>
    public IObjectStore Inner => _inner;

    /// <inheritdoc />
    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        return RunAsync(async () =>
        {
            var data = await _inner.GetAsync(_root + path, range, cancellationToken).ConfigureAwait(false);
            return data with { Meta = Strip(data.Meta) };
        });
    }

    /// <inheritdoc />
    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        return RunAsync(async () => Strip(await _inner.HeadAsync(_root + path, cancellationToken).ConfigureAwait(false)));
    }

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        return RunAsync(async () => Strip(await _inner.PutAsync(_root + path, data, mode, options, cancellationToken).ConfigureAwait(false)));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePrefix(prefix);
        var inner = _inner.ListAsync(_root + prefix, startAfter is null ? null : _root + startAfter, cancellationToken);
        var enumerator = inner.GetAsyncEnumerator(cancellationToken);
        await using var disposeEnumerator = enumerator.ConfigureAwait(false);
        while (true)
        {
            try
            {
                if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                {
                    yield break;
                }
            }
            catch (ObjectStoreException ex) when (Translate(ex) is { } translated)
            {
                throw translated;
            }

            yield return Strip(enumerator.Current);
        }
    }

    /// <inheritdoc />
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        return RunAsync(async () =>
        {
            await _inner.DeleteAsync(_root + path, cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    /// <inheritdoc />
    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(from, nameof(from));
        ObjectPaths.ValidatePath(to, nameof(to));
        return RunAsync(async () =>
        {
            await _inner.CopyAsync(_root + from, _root + to, cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    /// <inheritdoc />
    public override string ToString() => Uri;

    private async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ObjectStoreException ex) when (Translate(ex) is { } translated)
        {
            throw translated;
        }
    }

    private ObjectMeta Strip(ObjectMeta meta) => meta with { Path = StripPath(meta.Path) };

    private string StripPath(string innerPath) => innerPath.StartsWith(_root, StringComparison.Ordinal)
        ? innerPath[_root.Length..]
        : throw new ObjectStoreException(innerPath, Uri, $"The inner store returned a path outside the prefix '{_root}'", isTransient: false);

    /// <summary>The error as the caller should see it (its own path, this store's URI), or null to let it pass unchanged.</summary>
    private ObjectStoreException? Translate(ObjectStoreException ex)
    {
        if (!ex.Path.StartsWith(_root, StringComparison.Ordinal))
        {
            return null;
        }

        var path = ex.Path[_root.Length..];
        return ex switch
        {
            ObjectNotFoundException => new ObjectNotFoundException(path, Uri, ex),
            ObjectAlreadyExistsException => new ObjectAlreadyExistsException(path, Uri, ex),
            PreconditionFailedException failed => new PreconditionFailedException(path, Uri, failed.ExpectedETag, ex),
            _ => null,
        };
    }
}
