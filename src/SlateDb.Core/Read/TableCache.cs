using System.Collections.Concurrent;
using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;

namespace SlateDb.Read;

/// <summary>
/// Opens each SST once (footer, index, filter and properties) and keeps the reader; every reader shares one block
/// cache. A failed open is forgotten so the next read tries again.
/// </summary>
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

        var task = _readers.GetOrAdd(table.Path, static (path, arg) => arg.Self.OpenAsync(path, arg.Size), (Self: this, table.Size));
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

    private Task<SstReader> OpenAsync(string path, long size)
        => SstReader.OpenAsync(_store, path, size > 0 ? size : null, BlockCache, CancellationToken.None);

    private async ValueTask<SstReader> AwaitAsync(TableView table, Task<SstReader> task, CancellationToken cancellationToken)
    {
        try
        {
            var reader = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            table.Reader = reader;
            return reader;
        }
        catch (Exception) when (task.IsFaulted || task.IsCanceled)
        {
            _readers.TryRemove(new KeyValuePair<string, Task<SstReader>>(table.Path, task));
            throw;
        }
    }
}
