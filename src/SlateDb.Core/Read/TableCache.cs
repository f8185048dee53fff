using System.Collections.Concurrent;
using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;

namespace SlateDb.Read;

/// <summary>
/// Opens each SST once (footer, index, filter and properties) and keeps the reader; every reader shares one block
/// cache. A failed open is forgotten so the next read tries again.
/// </summary>
/// <remarks>
/// Invariants: opens are single-flight per path (only the caller that adds the pending entry starts the open; the
/// others await it), and a failed open leaves the cache and has its fault observed before it completes, so it is
/// forgotten and raises no unobserved-task event even when every waiter gave up (cancelled) before it failed.
/// </remarks>
internal sealed class TableCache
{
    private readonly ConcurrentDictionary<string, Task<SstReader>> _readers = new(StringComparer.Ordinal);
    private readonly IObjectStore _store;

    public TableCache(IObjectStore store, BlockCache? blockCache)
    {
        _store = store;
        BlockCache = blockCache;
    }

    /// <summary>The cache of decoded blocks the readers share (null when disabled).</summary>
    public BlockCache? BlockCache { get; }

    /// <summary>The number of open readers.</summary>
    public int Count => _readers.Count;

    /// <summary>The reader for <paramref name="table"/>; completes synchronously once it is open.</summary>
    public ValueTask<SstReader> GetAsync(TableView table, CancellationToken cancellationToken)
    {
        if (table.Reader is { } open)
        {
            return new ValueTask<SstReader>(open);
        }

        var task = GetOrStartOpenAsync(table.Path, table.Size);
        if (!task.IsCompletedSuccessfully)
        {
            return AwaitAsync(table, task, cancellationToken);
        }

#pragma warning disable VSTHRD103 // The task has completed: Result does not block.
        table.Reader = task.Result;
#pragma warning restore VSTHRD103
        return new ValueTask<SstReader>(table.Reader);
    }

    /// <summary>
    /// Drops the readers and cached blocks of SSTs not in <paramref name="live"/> (compacted away). Scans that still
    /// hold such a reader keep working; its blocks are read from the store again.
    /// </summary>
    public void Retain(IReadOnlySet<string> live)
    {
        foreach (var path in _readers.Keys)
        {
            if (!live.Contains(path) && _readers.TryRemove(path, out _))
            {
                BlockCache?.Remove(SstReader.CacheIdOf(_store, path));
            }
        }
    }

    // The pending or open reader of `path`; starts the open when there is none (single-flight).
    private Task<SstReader> GetOrStartOpenAsync(string path, long size)
    {
        while (true)
        {
            if (_readers.TryGetValue(path, out var existing))
            {
                return existing;
            }

            var opening = new TaskCompletionSource<SstReader>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_readers.TryAdd(path, opening.Task))
            {
                _ = OpenIntoAsync(path, size, opening);
                return opening.Task;
            }
        }
    }

    // Never throws: the outcome goes to `opening`. A failure is removed from the cache first, so the next read retries.
    private async Task OpenIntoAsync(string path, long size, TaskCompletionSource<SstReader> opening)
    {
        try
        {
            var reader = await SstReader.OpenAsync(_store, path, size > 0 ? size : null, BlockCache, CancellationToken.None).ConfigureAwait(false);
            opening.SetResult(reader);
        }
        catch (Exception e)
        {
            _readers.TryRemove(new KeyValuePair<string, Task<SstReader>>(path, opening.Task));
            opening.SetException(e);
            _ = opening.Task.Exception;   // observed here: waiters that were cancelled never will
        }
    }

    private static async ValueTask<SstReader> AwaitAsync(TableView table, Task<SstReader> task, CancellationToken cancellationToken)
    {
        var reader = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        table.Reader = reader;
        return reader;
    }
}
