using System.Globalization;
using System.Runtime.CompilerServices;

namespace SlateDb.ObjectStore;

/// <summary>
/// An object store in process memory: the reference semantics every other store is tested against.
/// Objects are copied on put and on get, so callers may reuse their buffers.
/// </summary>
public sealed class InMemoryObjectStore : IObjectStore
{
    private static long s_instances;
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, Entry> _objects = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _nextETag;

    /// <summary>Creates an empty store with a unique <see cref="Uri"/> (<c>memory://&lt;id&gt;</c>).</summary>
    public InMemoryObjectStore()
        : this(null, TimeProvider.System)
    {
    }

    /// <summary>Creates an empty store.</summary>
    /// <param name="uri">The store's <see cref="Uri"/>; a unique <c>memory://</c> URI when null.</param>
    /// <param name="timeProvider">The clock for <see cref="ObjectMeta.LastModified"/>.</param>
    public InMemoryObjectStore(string? uri, TimeProvider? timeProvider = null)
    {
        Uri = uri ?? "memory://" + Interlocked.Increment(ref s_instances).ToString(CultureInfo.InvariantCulture);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Uri { get; }

    /// <summary>How many objects the store holds.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _objects.Count;
            }
        }
    }

    /// <inheritdoc />
    public Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        cancellationToken.ThrowIfCancellationRequested();
        Entry entry;
        lock (_lock)
        {
            if (!_objects.TryGetValue(path, out entry!))
            {
                throw new ObjectNotFoundException(path, Uri);
            }
        }

        var (offset, length) = range is { } r ? r.ClampTo(entry.Data.Length) : (0, entry.Data.Length);
        var copy = entry.Data.AsSpan((int)offset, (int)length).ToArray();
        return Task.FromResult(new ObjectData(entry.Meta, copy));
    }

    /// <inheritdoc />
    public Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return _objects.TryGetValue(path, out var entry)
                ? Task.FromResult(entry.Meta)
                : Task.FromException<ObjectMeta>(new ObjectNotFoundException(path, Uri));
        }
    }

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        ArgumentNullException.ThrowIfNull(mode);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = data.ToArray();
        lock (_lock)
        {
            var exists = _objects.TryGetValue(path, out var existing);
            switch (mode.Kind)
            {
                case PutModeKind.Create when exists:
                    throw new ObjectAlreadyExistsException(path, Uri);
                case PutModeKind.Update when !exists || !string.Equals(existing!.Meta.ETag, mode.ETag, StringComparison.Ordinal):
                    throw new PreconditionFailedException(path, Uri, mode.ETag);
            }

            var etag = (++_nextETag).ToString("x16", CultureInfo.InvariantCulture);
            var meta = new ObjectMeta(path, bytes.Length, _time.GetUtcNow(), etag) { PutId = options.PutId };
            _objects[path] = new Entry(meta, bytes);
            return Task.FromResult(meta);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePrefix(prefix);
        List<ObjectMeta> page;
        lock (_lock)
        {
            page = [.. _objects.Values
                .Select(e => e.Meta)
                .Where(m => m.Path.StartsWith(prefix, StringComparison.Ordinal)
                            && (startAfter is null || string.CompareOrdinal(m.Path, startAfter) > 0))];
        }

        foreach (var meta in page)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return meta;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(path);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            _objects.Remove(path);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        ObjectPaths.ValidatePath(from, nameof(from));
        ObjectPaths.ValidatePath(to, nameof(to));
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_objects.TryGetValue(from, out var source))
            {
                throw new ObjectNotFoundException(from, Uri);
            }

            var etag = (++_nextETag).ToString("x16", CultureInfo.InvariantCulture);
            _objects[to] = new Entry(new ObjectMeta(to, source.Data.Length, _time.GetUtcNow(), etag), source.Data);
        }

        return Task.CompletedTask;
    }

    private sealed record Entry(ObjectMeta Meta, byte[] Data);
}
