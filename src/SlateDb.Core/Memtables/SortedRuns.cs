using System.Runtime.CompilerServices;

namespace SlateDb.Memtables;

// The sorted runs of a memtable: each committed batch of rows becomes a run (an array of entries sorted by key
// ascending, seq descending), and runs are merged like the digits of a binary counter up to MaxMergedEntries, so a
// table of n rows holds about log2(min(n, max) / batch) + n / max runs and each entry is copied about
// log2(max / batch) times, in sequential passes over arrays.
//
// Invariants
//  1. Runs are immutable once built. The stack holds them oldest first; a merge only ever combines the two newest,
//     so every run covers a contiguous stretch of commits. When commits come in seq order (the write loop's do), a
//     newer run's entries therefore have seqs at least as large as an older run's; the memtable tracks whether
//     that holds.
//  2. The published RunSet lists the runs newest first and is replaced as a whole with a release write after every
//     push or compaction; readers read it once (an acquire) and keep using that snapshot, which stays valid because
//     runs are never changed and the arena never moves or reuses bytes.
//  3. Push and Compact are serialized by a lock; the memtable's single writer pushes, and compaction runs only once
//     the table is frozen (from whichever reader asks first).

/// <summary>The runs of a memtable: pushes and merges (writer), published snapshots (readers).</summary>
internal sealed class SortedRuns
{
    /// <summary>
    /// The largest run a push merges into (4 MiB of entries). Merging stops there, so the write gate never waits for
    /// a merge of more than about a millisecond; a full memtable keeps a few runs of this size (searched one after
    /// another) until it is frozen and compacted into one, off the write path.
    /// </summary>
    public const int MaxMergedEntries = 1 << 17;

    private readonly EntryOrder _order;
    private readonly List<RunEntry[]> _stack = [];
    private readonly Lock _lock = new();
    private RunSet _published = RunSet.Empty;

    public SortedRuns(EntryOrder order) => _order = order;

    /// <summary>The runs as last published (newest first).</summary>
    public RunSet Current => Volatile.Read(ref _published);

    /// <summary>Adds a sorted run (the newest commit), merges as needed and publishes.</summary>
    public void Push(RunEntry[] run)
    {
        lock (_lock)
        {
            _stack.Add(run);
            while (_stack.Count >= 2 && _stack[^2].Length <= _stack[^1].Length && _stack[^2].Length + _stack[^1].Length <= MaxMergedEntries)
            {
                MergeNewestTwo();
            }

            Publish();
        }
    }

    /// <summary>Merges every run into one and publishes it; returns the published set.</summary>
    public RunSet Compact()
    {
        lock (_lock)
        {
            if (_stack.Count > 1)
            {
                while (_stack.Count > 1)
                {
                    MergeNewestTwo();
                }

                Publish();
            }

            return _published;
        }
    }

    private void MergeNewestTwo()
    {
        var newer = _stack[^1];
        var older = _stack[^2];
        _stack.RemoveAt(_stack.Count - 1);
        _stack[^1] = Merge(older, newer);
    }

    private void Publish()
    {
        var runs = new RunEntry[_stack.Count][];
        long entries = 0;
        for (var i = 0; i < runs.Length; i++)
        {
            runs[i] = _stack[_stack.Count - 1 - i];
            entries += runs[i].Length;
        }

        Volatile.Write(ref _published, new RunSet(runs, entries));
    }

    // A new run with the entries of both, in order. Entries are distinct (key, seq) pairs; were two equal, both
    // would be kept, the newer first.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private RunEntry[] Merge(RunEntry[] older, RunEntry[] newer)
    {
        var result = GC.AllocateUninitializedArray<RunEntry>(older.Length + newer.Length);
        var a = older.AsSpan();
        var b = newer.AsSpan();
        var output = result.AsSpan();
        int i = 0, j = 0, k = 0;
        while (i < a.Length && j < b.Length)
        {
            ref readonly var x = ref a[i];
            ref readonly var y = ref b[j];
            if (_order.Compare(in x, in y) < 0)
            {
                output[k++] = x;
                i++;
            }
            else
            {
                output[k++] = y;
                j++;
            }
        }

        a[i..].CopyTo(output[k..]);
        b[j..].CopyTo(output[(k + a.Length - i)..]);
        return result;
    }
}

/// <summary>A published snapshot of a memtable's runs, newest first.</summary>
internal sealed class RunSet
{
    public static readonly RunSet Empty = new([], 0);

    public RunSet(RunEntry[][] runs, long entries)
    {
        Runs = runs;
        Entries = entries;
    }

    /// <summary>The runs, newest first; each sorted by (key ascending, seq descending).</summary>
    public RunEntry[][] Runs { get; }

    /// <summary>The number of entries in all runs.</summary>
    public long Entries { get; }
}
