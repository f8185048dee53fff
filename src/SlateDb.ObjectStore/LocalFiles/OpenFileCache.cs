using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace SlateDb.ObjectStore;

/// <summary>
/// A bounded set of object files the local-file store keeps open for ranged reads, by object path, each with the
/// identity and metadata read when it was opened. Replacement is CLOCK (a reference bit per entry, a sweeping hand).
/// </summary>
/// <remarks>
/// <para>
/// Lookups take no lock; adding and removing do. An evicted or removed entry's handle is disposed at once: a read
/// in progress through it finishes (the handle is reference counted and closed after its last use), a read about
/// to start fails with <see cref="ObjectDisposedException"/> and the store reads through a fresh handle instead.
/// </para>
/// <para>
/// An entry does not make its file current: the store compares the path's identity with <see cref="Entry.Identity"/>
/// before each read. Files unlinked by another process are also noticed without a read: every add checks the link
/// count of the next two entries after the hand's probe position and removes those with none, so a cache that
/// never fills does not hold deleted files' disk space for long.
/// </para>
/// </remarks>
internal sealed class OpenFileCache : IDisposable
{
    private const int ProbesPerAdd = 2;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Entry?[] _slots;
    private readonly Stack<int> _free;
    private readonly Lock _lock = new();
    private int _hand;
    private int _probe;
    private bool _disposed;

    /// <summary>Creates an empty cache holding at most <paramref name="capacity"/> open files.</summary>
    public OpenFileCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _slots = new Entry?[capacity];
        _free = new Stack<int>(Enumerable.Range(0, capacity).Reverse());
    }

    /// <summary>The number of files open in the cache.</summary>
    public int Count => _entries.Count;

    /// <summary>The entry of <paramref name="path"/>, marked as recently used; false when there is none.</summary>
    public bool TryGet(string path, out Entry entry)
    {
        if (_entries.TryGetValue(path, out var found))
        {
            if (!found.Referenced)
            {
                found.Referenced = true;
            }

            entry = found;
            return true;
        }

        entry = null!;
        return false;
    }

    /// <summary>
    /// Adds <paramref name="entry"/> for its path, replacing (and closing) an entry already there and evicting the
    /// least recently used when full. Returns false, without taking the entry, once the cache is disposed.
    /// </summary>
    public bool Add(Entry entry)
    {
        var closing = new List<Entry>(2);
        Span<int> probed = stackalloc int[ProbesPerAdd];
        var probes = 0;
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            if (_entries.TryGetValue(entry.Path, out var previous))
            {
                Detach(previous);
                closing.Add(previous);
            }

            if (!_free.TryPop(out var slot))
            {
                slot = Sweep();
                closing.Add(_slots[slot]!);
                Detach(_slots[slot]!);
                _free.Pop();
            }

            entry.Slot = slot;
            _slots[slot] = entry;
            _entries[entry.Path] = entry;
            for (; probes < ProbesPerAdd && probes < _slots.Length - 1; probes++)
            {
                _probe = (_probe + 1) % _slots.Length;
                probed[probes] = _probe;
            }
        }

        foreach (var evicted in closing)
        {
            evicted.Handle.Dispose();
        }

        foreach (var slot in probed[..probes])
        {
            if (Volatile.Read(ref _slots[slot]) is { } candidate && candidate != entry && IsUnlinked(candidate))
            {
                Remove(candidate);
            }
        }

        return true;
    }

    /// <summary>Removes and closes the entry of <paramref name="path"/>, if any.</summary>
    public void Remove(string path)
    {
        if (_entries.TryGetValue(path, out var entry))
        {
            Remove(entry);
        }
    }

    /// <summary>Removes and closes <paramref name="entry"/> if it is still the cached one for its path.</summary>
    public void Remove(Entry entry)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(entry.Path, out var current) || current != entry)
            {
                return;
            }

            Detach(entry);
        }

        entry.Handle.Dispose();
    }

    /// <summary>Closes every cached file; later adds are refused.</summary>
    public void Dispose()
    {
        List<Entry> closing;
        lock (_lock)
        {
            _disposed = true;
            closing = [.. _entries.Values];
            foreach (var entry in closing)
            {
                Detach(entry);
            }
        }

        foreach (var entry in closing)
        {
            entry.Handle.Dispose();
        }
    }

    private static bool IsUnlinked(Entry entry)
    {
        try
        {
            return PosixSync.TryIdentify(entry.Handle, out _, out var links) == 0 && links == 0;
        }
        catch (ObjectDisposedException)
        {
            return false;   // removed meanwhile
        }
    }

    /// <summary>The slot of the entry to evict: the first one at or after the hand not used since the hand last passed.</summary>
    private int Sweep()
    {
        while (true)
        {
            var slot = _hand;
            _hand = (_hand + 1) % _slots.Length;
            var candidate = _slots[slot]!;
            if (!candidate.Referenced)
            {
                return slot;
            }

            candidate.Referenced = false;
        }
    }

    /// <summary>Takes <paramref name="entry"/> out of the map and its slot (under the lock); the caller closes it.</summary>
    private void Detach(Entry entry)
    {
        _entries.TryRemove(new KeyValuePair<string, Entry>(entry.Path, entry));
        Volatile.Write(ref _slots[entry.Slot], null);
        _free.Push(entry.Slot);
    }

    /// <summary>An open object file: its handle, the identity of the file when opened, and the object's metadata.</summary>
    internal sealed class Entry(string path, SafeFileHandle handle, FileIdentity identity, ObjectMeta meta)
    {
        /// <summary>The object path.</summary>
        public string Path { get; } = path;

        /// <summary>The open file (read only).</summary>
        public SafeFileHandle Handle { get; } = handle;

        /// <summary>What the handle's file was when opened; the path still names it while its identity is the same.</summary>
        public FileIdentity Identity { get; } = identity;

        /// <summary>The object's metadata, read when the file was opened.</summary>
        public ObjectMeta Meta { get; } = meta;

        /// <summary>Whether the entry was used since the CLOCK hand last passed it.</summary>
        public volatile bool Referenced;

        /// <summary>The entry's slot in the CLOCK ring (under the cache's lock).</summary>
        public int Slot;
    }
}
