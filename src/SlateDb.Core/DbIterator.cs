using System.Diagnostics;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;
using SlateDb.Read;

namespace SlateDb;

/// <summary>
/// The keys and values of a range, in key order, as <see cref="Db.ScanAsync"/> returns them: the newest version of
/// each key visible when the scan was created (deleted keys are skipped).
/// </summary>
/// <remarks>
/// Each <see cref="KeyValue"/> <see cref="NextAsync"/> returns owns its memory. Enumerate with <c>await foreach</c> (which
/// disposes the iterator at the end) or call <see cref="NextAsync"/> until it returns null and dispose the iterator. To
/// read rows in place without a copy each, call <see cref="MoveNextAsync"/> and read <see cref="Current"/> before the next
/// call. Not thread-safe.
/// </remarks>
public sealed class DbIterator : IAsyncEnumerable<KeyValue>, IAsyncDisposable
{
    private readonly ScanIterator _scan;
    private readonly string _dbPath;

    // The scan's span (null when nobody listens): from the scan call until disposal, with the rows returned.
    private Activity? _activity;
    private long _rows;

    internal DbIterator(ScanIterator scan, string dbPath, Activity? activity = null)
    {
        _scan = scan;
        _dbPath = dbPath;
        _activity = activity;
    }

    /// <summary>The next key and value, or null after the last one.</summary>
    /// <exception cref="DbClosedException">The database was closed.</exception>
    /// <exception cref="SlateDbException">
    /// The object store failed (<see cref="SlateDbErrorKind.Unavailable"/>, or <see cref="SlateDbErrorKind.Data"/> for a
    /// missing object; the store's exception is the inner exception), or an SST failed verification.
    /// </exception>
    public ValueTask<KeyValue?> NextAsync(CancellationToken cancellationToken = default)
    {
        var next = _scan.NextAsync(cancellationToken);
        if (_activity is not null)
        {
            return CountAsync(next, static kv => kv is not null);
        }

        return next.IsCompletedSuccessfully ? next : MapStoreErrorsAsync(next);
    }

    /// <summary>
    /// The key and value <see cref="MoveNextAsync"/> moved to, without a copy: the memory is the iterator's and is valid
    /// only until the next call to <see cref="MoveNextAsync"/>, <see cref="NextAsync"/>, <see cref="SeekAsync"/> or
    /// <see cref="DisposeAsync"/>; copy what you keep (<c>Current.Key.ToArray()</c>). Default before the first move,
    /// after a move that returned false, and after any other call.
    /// </summary>
    public KeyValue Current => _scan.Current;

    /// <summary>
    /// Moves to the next key and value and leaves them in <see cref="Current"/> without copying them: true when there is
    /// one, false after the last. The same rows as <see cref="NextAsync"/>, for a caller that reads each row before it
    /// moves on (no allocation per row); the two may be mixed.
    /// </summary>
    /// <exception cref="DbClosedException">The database was closed.</exception>
    /// <exception cref="SlateDbException">The object store failed, as for <see cref="NextAsync"/>.</exception>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        var moved = _scan.MoveNextAsync(cancellationToken);
        if (_activity is not null)
        {
            return CountAsync(moved, static found => found);
        }

        return moved.IsCompletedSuccessfully ? moved : MapStoreErrorsAsync(moved);
    }

    /// <summary>Moves forward: the next key returned is the first one greater than or equal to <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is outside the range, or not after the last key returned.</exception>
    /// <exception cref="SlateDbException">The object store failed, as for <see cref="NextAsync"/>.</exception>
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var seek = _scan.SeekAsync(key, cancellationToken);
        return seek.IsCompletedSuccessfully ? seek : MapStoreErrorsAsync(seek);
    }

    /// <summary>Enumerates the remaining keys and values; disposing the enumerator disposes this iterator.</summary>
    public async IAsyncEnumerator<KeyValue> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        try
        {
            while (await NextAsync(cancellationToken).ConfigureAwait(false) is { } kv)
            {
                yield return kv;
            }
        }
        finally
        {
            await DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Releases the SST iterators the scan holds.</summary>
    public ValueTask DisposeAsync()
    {
        if (_activity is { } activity)
        {
            _activity = null;
            activity.SetTag("slatedb.rows", _rows);
            activity.Dispose();
        }

        return _scan.DisposeAsync();
    }

    // The result of a move, counted on the scan's span when it is a row (`isRow`); a failure marks the span.
    private async ValueTask<T> CountAsync<T>(ValueTask<T> next, Func<T, bool> isRow)
    {
        try
        {
            var result = await MapStoreErrorsAsync(next).ConfigureAwait(false);
            if (isRow(result))
            {
                _rows++;
            }

            return result;
        }
        catch (Exception e)
        {
            DbTracing.Failed(_activity, e);
            throw;
        }
    }

    private async ValueTask<T> MapStoreErrorsAsync<T>(ValueTask<T> next)
    {
        try
        {
            return await next.ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_dbPath, "a scan", e);
        }
    }

    private async ValueTask MapStoreErrorsAsync(ValueTask seek)
    {
        try
        {
            await seek.ConfigureAwait(false);
        }
        catch (ObjectStoreException e)
        {
            throw StoreErrors.ToDbError(_dbPath, "a scan's seek", e);
        }
    }
}
