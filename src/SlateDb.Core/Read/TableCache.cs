using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;

namespace SlateDb.Read;

// The open SST readers of a database: each holds its SST's footer, index, filter and properties (its metadata), and all
// of them share one block cache. The metadata lives within a byte budget (Settings.MetadataCacheBytes).
//
// Outline
//   get: the view's remembered entry while it still has its reader (no lookup) → else the entry of the path, opening
//   the SST when there is none (single-flight) → a completed open counts its metadata bytes and, over the budget,
//   evicts the least recently used readers down to 7/8 of it.
//
// Invariants
//  1. Opens are single-flight per path (only the caller that adds the pending entry starts the open; the others await
//     it). A failed open leaves the cache and has its fault observed before it completes, so it is forgotten and
//     raises no unobserved-task event even when every waiter gave up (cancelled) before it failed.
//  2. MetadataBytes is the sum of MetadataBytes of the opened readers in the dictionary: an entry is counted once, when
//     its open completes, and uncounted once, by whoever removes it (eviction, Retain) or by the open itself when it
//     completes after its entry was removed.
//  3. Eviction only forgets a reader: nothing is disposed, so a scan or lookup that holds it goes on using it (its
//     memory is freed when the last user drops it), and the next get opens the SST again (footer, index and filter;
//     its cached blocks stay cached under the same cache id). An evicted entry lets go of its reader, so the table
//     views that remember the entry do not keep the metadata alive.
//  4. Recency is approximate: the clock ticks once per completed open, and a get stamps its entry with the clock only
//     when the stamp differs (no shared write on the hot path while nothing is being opened). The reader just opened is
//     never the one evicted.

/// <summary>Opens each SST once and keeps the reader (its metadata within a byte budget); every reader shares one block cache.</summary>
internal sealed class TableCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IObjectStore _store;
    private readonly Lock _evictLock = new();
    private long _bytes;
    private long _clock;
    private long _evictions;

    /// <param name="store">Where the SSTs are.</param>
    /// <param name="blockCache">The block cache the readers share, or null.</param>
    /// <param name="metadataBudget">The bytes of reader metadata kept (no bound when omitted).</param>
    public TableCache(IObjectStore store, BlockCache? blockCache, long metadataBudget = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(metadataBudget);
        _store = store;
        BlockCache = blockCache;
        MetadataBudget = metadataBudget;
    }

    /// <summary>The cache of decoded blocks the readers share (null when disabled).</summary>
    public BlockCache? BlockCache { get; }

    /// <summary>The bytes of reader metadata this cache keeps at most (beyond it, the least recently used readers go).</summary>
    public long MetadataBudget { get; }

    /// <summary>The bytes of metadata the cached readers hold (<see cref="SstReader.MetadataBytes"/>).</summary>
    public long MetadataBytes => Volatile.Read(ref _bytes);

    /// <summary>How many readers were evicted to stay within the budget.</summary>
    public long Evictions => Volatile.Read(ref _evictions);

    /// <summary>The number of cached (open or opening) readers.</summary>
    public int Count => _entries.Count;

    /// <summary>The reader for <paramref name="table"/>; completes synchronously once it is open.</summary>
    public ValueTask<SstReader> GetAsync(TableView table, CancellationToken cancellationToken)
    {
        if (TryGetOpen(table, out var open))
        {
            return new ValueTask<SstReader>(open);
        }

        var (entry, task) = GetOrStartOpen(table.Path, table.Size);
        if (!task.IsCompletedSuccessfully)
        {
            return AwaitAsync(table, entry, task, cancellationToken);
        }

#pragma warning disable VSTHRD103 // The task has completed: Result does not block.
        var reader = task.Result;
#pragma warning restore VSTHRD103
        Remember(table, entry);
        return new ValueTask<SstReader>(reader);
    }

    /// <summary>The reader of <paramref name="table"/> when the view remembers it open (no lookup, never waits).</summary>
    public bool TryGetOpen(TableView table, [NotNullWhen(true)] out SstReader? reader)
    {
        if (table.CacheEntry is { Reader: { } open } remembered)
        {
            Touch(remembered);
            reader = open;
            return true;
        }

        reader = null;
        return false;
    }

    /// <summary>
    /// Drops the readers and cached blocks of SSTs not in <paramref name="live"/> (compacted away). Scans that still
    /// hold such a reader keep working; its blocks are read from the store again.
    /// </summary>
    public void Retain(IReadOnlySet<string> live)
    {
        foreach (var (path, entry) in _entries)
        {
            if (!live.Contains(path) && _entries.TryRemove(new KeyValuePair<string, Entry>(path, entry)))
            {
                Forget(entry);
                BlockCache?.Remove(SstReader.CacheIdOf(_store, path));
            }
        }
    }

    private void Touch(Entry entry)
    {
        var now = Volatile.Read(ref _clock);
        if (entry.LastUse != now)
        {
            entry.LastUse = now;
        }
    }

    private void Remember(TableView table, Entry entry)
    {
        if (entry.Reader is not null)
        {
            table.CacheEntry = entry;
            Touch(entry);
        }
    }

    // The pending or open entry of `path` and its open task; starts the open when there is none (single-flight).
    private (Entry Entry, Task<SstReader> Task) GetOrStartOpen(string path, long size)
    {
        while (true)
        {
            if (_entries.TryGetValue(path, out var existing) && existing.Opening is { } task)
            {
                return (existing, task);
            }

            var opening = new TaskCompletionSource<SstReader>(TaskCreationOptions.RunContinuationsAsynchronously);
            var entry = new Entry(path, opening.Task);
            if (existing is null ? _entries.TryAdd(path, entry) : _entries.TryUpdate(path, entry, existing))
            {
                _ = OpenIntoAsync(entry, opening, size);
                return (entry, opening.Task);
            }
        }
    }

    // Never throws: the outcome goes to the entry's task. A failure is removed from the cache first, so the next read
    // retries; a success is counted (and the budget enforced) before waiters see it.
    private async Task OpenIntoAsync(Entry entry, TaskCompletionSource<SstReader> opening, long size)
    {
        SstReader reader;
        try
        {
            reader = await SstReader.OpenAsync(_store, entry.Path, size > 0 ? size : null, BlockCache, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(entry.Path, entry));
            entry.Opening = null;
            opening.SetException(e);
            _ = opening.Task.Exception;   // observed here: waiters that were cancelled never will
            return;
        }

        entry.Reader = reader;
        entry.Bytes = reader.MetadataBytes;
        entry.LastUse = Interlocked.Increment(ref _clock);
        Interlocked.Add(ref _bytes, entry.Bytes);
        Volatile.Write(ref entry.Counted, 1);
        if (!_entries.TryGetValue(entry.Path, out var current) || current != entry)
        {
            Forget(entry);   // removed while it opened (invariant 2)
        }
        else if (Volatile.Read(ref _bytes) > MetadataBudget)
        {
            Evict(entry);
        }

        opening.SetResult(reader);
    }

    // Least recently used first, down to 7/8 of the budget (so eviction sweeps are not paid on every open).
    private void Evict(Entry justOpened)
    {
        lock (_evictLock)
        {
            if (Volatile.Read(ref _bytes) <= MetadataBudget)
            {
                return;
            }

            var target = MetadataBudget - (MetadataBudget / 8);
            var candidates = new List<Entry>(_entries.Count);
            foreach (var (_, entry) in _entries)
            {
                if (entry != justOpened && Volatile.Read(ref entry.Counted) == 1)
                {
                    candidates.Add(entry);
                }
            }

            candidates.Sort(static (a, b) => a.LastUse.CompareTo(b.LastUse));
            foreach (var entry in candidates)
            {
                if (Volatile.Read(ref _bytes) <= target)
                {
                    break;
                }

                if (_entries.TryRemove(new KeyValuePair<string, Entry>(entry.Path, entry)))
                {
                    Forget(entry);
                    Interlocked.Increment(ref _evictions);
                }
            }
        }
    }

    // Lets go of a removed entry's reader and uncounts its bytes (once).
    private void Forget(Entry entry)
    {
        entry.Reader = null;
        entry.Opening = null;

        if (Interlocked.Exchange(ref entry.Counted, 0) == 1)
        {
            Interlocked.Add(ref _bytes, -entry.Bytes);
        }
    }

    private async ValueTask<SstReader> AwaitAsync(TableView table, Entry entry, Task<SstReader> task, CancellationToken cancellationToken)
    {
        var reader = await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        Remember(table, entry);
        return reader;
    }

    /// <summary>One SST's reader: opening, open, or forgotten (removed from the cache; it holds nothing then).</summary>
    internal sealed class Entry
    {
        private SstReader? _reader;
        private Task<SstReader>? _opening;

        public Entry(string path, Task<SstReader> opening)
        {
            Path = path;
            _opening = opening;
        }

        public string Path { get; }

        /// <summary>The open task while the entry is cached (null once it failed or was forgotten: it holds nothing then).</summary>
        public Task<SstReader>? Opening
        {
            get => Volatile.Read(ref _opening);
            set => Volatile.Write(ref _opening, value);
        }

        /// <summary>The reader while the entry is open and cached.</summary>
        public SstReader? Reader
        {
            get => Volatile.Read(ref _reader);
            set => Volatile.Write(ref _reader, value);
        }

        public long Bytes;

        public long LastUse;

        public int Counted;
    }
}
