using SlateDb.Read;

namespace SlateDb;

/// <summary>
/// The keys and values of a range, in key order, as <see cref="Db.ScanAsync"/> returns them: the newest version of
/// each key visible when the scan was created (deleted keys are skipped).
/// </summary>
/// <remarks>
/// Each <see cref="KeyValue"/> owns its memory. Enumerate with <c>await foreach</c> (which disposes the iterator at the
/// end) or call <see cref="NextAsync"/> until it returns null and dispose the iterator. Not thread-safe.
/// </remarks>
public sealed class DbIterator : IAsyncEnumerable<KeyValue>, IAsyncDisposable
{
    private readonly ScanIterator _scan;

    internal DbIterator(ScanIterator scan) => _scan = scan;

    /// <summary>The next key and value, or null after the last one.</summary>
    /// <exception cref="DbClosedException">The database was closed.</exception>
    public ValueTask<KeyValue?> NextAsync(CancellationToken cancellationToken = default) => _scan.NextAsync(cancellationToken);

    /// <summary>Moves forward: the next key returned is the first one greater than or equal to <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="key"/> is outside the range, or not after the last key returned.</exception>
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => _scan.SeekAsync(key, cancellationToken);

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
    public ValueTask DisposeAsync() => _scan.DisposeAsync();
}
