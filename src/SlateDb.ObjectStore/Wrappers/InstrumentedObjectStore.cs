using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace SlateDb.ObjectStore;

/// <summary>
/// Counts the requests and bytes that pass through to the store it wraps, per operation, and optionally logs each
/// request in issue order (for golden request traces).
/// </summary>
/// <remarks>
/// The counts are published through <see cref="System.Diagnostics.Metrics"/> on the meter <c>SlateDb.ObjectStore</c>
/// — counters <c>slatedb.objectstore.requests</c> and <c>slatedb.objectstore.errors</c> (tag <c>operation</c>),
/// <c>slatedb.objectstore.bytes_read</c> and <c>slatedb.objectstore.bytes_written</c>, each also tagged with the
/// <c>store</c> URI — and kept per instance for <see cref="Snapshot"/>. A request is counted when it is issued; an error
/// when it throws; bytes when it succeeds.
/// </remarks>
public sealed class InstrumentedObjectStore : IObjectStore
{
    /// <summary>The name of the meter the counters belong to.</summary>
    public const string MeterName = "SlateDb.ObjectStore";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> RequestCounter = Meter.CreateCounter<long>("slatedb.objectstore.requests", "{request}", "Object store requests issued");
    private static readonly Counter<long> ErrorCounter = Meter.CreateCounter<long>("slatedb.objectstore.errors", "{request}", "Object store requests that failed");
    private static readonly Counter<long> BytesReadCounter = Meter.CreateCounter<long>("slatedb.objectstore.bytes_read", "By", "Bytes returned by gets");
    private static readonly Counter<long> BytesWrittenCounter = Meter.CreateCounter<long>("slatedb.objectstore.bytes_written", "By", "Bytes written by puts");
    private static readonly string[] OperationNames = ["get", "head", "put", "list", "delete", "copy"];

    private readonly IObjectStore _inner;
    private readonly long[] _requests = new long[OperationNames.Length];
    private readonly ConcurrentQueue<ObjectStoreRequest>? _log;
    private long _errors;
    private long _bytesRead;
    private long _bytesWritten;
    private long _listed;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The store to count requests to.</param>
    /// <param name="recordLog">Also keep every request, in issue order, in <see cref="Log"/>.</param>
    public InstrumentedObjectStore(IObjectStore inner, bool recordLog = false)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _log = recordLog ? new ConcurrentQueue<ObjectStoreRequest>() : null;
    }

    /// <inheritdoc />
    public string Uri => _inner.Uri;

    /// <summary>The wrapped store.</summary>
    public IObjectStore Inner => _inner;

    /// <summary>The requests issued so far, oldest first; empty unless the store was created with <c>recordLog</c>.</summary>
    public IReadOnlyList<ObjectStoreRequest> Log => _log is null ? [] : _log.ToArray();

    /// <summary>The counts so far.</summary>
    public ObjectStoreStats Snapshot() => new()
    {
        Gets = Volatile.Read(ref _requests[(int)ObjectStoreOperation.Get]),
        Heads = Volatile.Read(ref _requests[(int)ObjectStoreOperation.Head]),
        Puts = Volatile.Read(ref _requests[(int)ObjectStoreOperation.Put]),
        Lists = Volatile.Read(ref _requests[(int)ObjectStoreOperation.List]),
        Deletes = Volatile.Read(ref _requests[(int)ObjectStoreOperation.Delete]),
        Copies = Volatile.Read(ref _requests[(int)ObjectStoreOperation.Copy]),
        ListedObjects = Volatile.Read(ref _listed),
        BytesRead = Volatile.Read(ref _bytesRead),
        BytesWritten = Volatile.Read(ref _bytesWritten),
        Errors = Volatile.Read(ref _errors),
    };

    /// <summary>Zeroes the counts and clears the log (the published metrics are cumulative and stay).</summary>
    public void Reset()
    {
        for (var i = 0; i < _requests.Length; i++)
        {
            Interlocked.Exchange(ref _requests[i], 0);
        }

        Interlocked.Exchange(ref _errors, 0);
        Interlocked.Exchange(ref _bytesRead, 0);
        Interlocked.Exchange(ref _bytesWritten, 0);
        Interlocked.Exchange(ref _listed, 0);
        _log?.Clear();
    }

    /// <inheritdoc />
    public async Task<ObjectData> GetAsync(string path, ByteRange? range = null, CancellationToken cancellationToken = default)
    {
        var detail = range is { } r ? string.Create(CultureInfo.InvariantCulture, $"bytes={r.Offset}+{r.Length}") : null;
        Issue(ObjectStoreOperation.Get, path, detail);
        try
        {
            var data = await _inner.GetAsync(path, range, cancellationToken).ConfigureAwait(false);
            AddBytes(ref _bytesRead, BytesReadCounter, data.Bytes.Length);
            return data;
        }
        catch (Exception) when (Failed(ObjectStoreOperation.Get))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<ObjectMeta> HeadAsync(string path, CancellationToken cancellationToken = default)
    {
        Issue(ObjectStoreOperation.Head, path, null);
        try
        {
            return await _inner.HeadAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (Failed(ObjectStoreOperation.Head))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, CancellationToken cancellationToken = default)
        => PutAsync(path, data, mode, new PutOptions(), cancellationToken);

    /// <inheritdoc />
    public async Task<ObjectMeta> PutAsync(string path, ReadOnlyMemory<byte> data, PutMode mode, PutOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mode);

        // The log names the mode's kind only: etags differ from run to run and would make traces unstable.
        Issue(ObjectStoreOperation.Put, path, mode.Kind.ToString());
        try
        {
            var meta = await _inner.PutAsync(path, data, mode, options, cancellationToken).ConfigureAwait(false);
            AddBytes(ref _bytesWritten, BytesWrittenCounter, data.Length);
            return meta;
        }
        catch (Exception) when (Failed(ObjectStoreOperation.Put))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ObjectMeta> ListAsync(string prefix, string? startAfter = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Issue(ObjectStoreOperation.List, prefix, startAfter is null ? null : "after=" + startAfter);
        var enumerator = _inner.ListAsync(prefix, startAfter, cancellationToken).GetAsyncEnumerator(cancellationToken);
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
            catch (Exception) when (Failed(ObjectStoreOperation.List))
            {
                throw;
            }

            Interlocked.Increment(ref _listed);
            yield return enumerator.Current;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        Issue(ObjectStoreOperation.Delete, path, null);
        try
        {
            await _inner.DeleteAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (Failed(ObjectStoreOperation.Delete))
        {
            throw;
        }
    }

    /// <inheritdoc />
    public async Task CopyAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        Issue(ObjectStoreOperation.Copy, from, "-> " + to);
        try
        {
            await _inner.CopyAsync(from, to, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (Failed(ObjectStoreOperation.Copy))
        {
            throw;
        }
    }

    private void Issue(ObjectStoreOperation operation, string path, string? detail)
    {
        Interlocked.Increment(ref _requests[(int)operation]);
        if (RequestCounter.Enabled)
        {
            RequestCounter.Add(1, Tags(operation));
        }

        _log?.Enqueue(new ObjectStoreRequest(operation, path, detail));
    }

    /// <summary>Counts a failure; always false, so the exception filter never catches it (the stack trace stays intact).</summary>
    private bool Failed(ObjectStoreOperation operation)
    {
        Interlocked.Increment(ref _errors);
        if (ErrorCounter.Enabled)
        {
            ErrorCounter.Add(1, Tags(operation));
        }

        return false;
    }

    private void AddBytes(ref long total, Counter<long> counter, long bytes)
    {
        Interlocked.Add(ref total, bytes);
        if (counter.Enabled)
        {
            counter.Add(bytes, new KeyValuePair<string, object?>("store", Uri));
        }
    }

    private TagList Tags(ObjectStoreOperation operation) => new()
    {
        { "operation", OperationNames[(int)operation] },
        { "store", Uri },
    };
}
