using SlateDb.Read;

namespace SlateDb.Gc;

// Open scans pin the read snapshot they iterate, so the collector of the same process never deletes an SST under them,
// however long they stay open (a compaction may drop the SST from the manifest meanwhile).
//
// Invariants
//  1. A scan iterates only a snapshot that was pinned while it was still the current one: Pin re-reads the current
//     snapshot after registering (and after reading the scan's bound, see ReadBound) and retries if it moved. So
//     whenever the collector applies the latest manifest to the read state and then reads the pins, every scan on an
//     older snapshot is either already pinned or will pin a newer one.
//  2. A lease releases its pin once; a snapshot stays pinned while any lease on it is live.

/// <summary>The read snapshots held by open iterators, and the SST paths they reference.</summary>
internal sealed class SnapshotPins
{
    private readonly Dictionary<DbState, int> _pinned = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();

    /// <summary>How many distinct snapshots are pinned.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _pinned.Count;
            }
        }
    }

    /// <summary>Pins the current snapshot of <paramref name="holder"/>; dispose the lease when the iterator is done.</summary>
    public Lease Pin(DbStateHolder holder) => Pin(holder, ReadBound.At(0), out _);

    /// <summary>
    /// Pins the current snapshot of <paramref name="holder"/> and reads <paramref name="readBound"/> while it is current
    /// (see <see cref="ReadBound"/>); dispose the lease when the iterator is done.
    /// </summary>
    public Lease Pin(DbStateHolder holder, in ReadBound readBound, out ulong bound)
    {
        ArgumentNullException.ThrowIfNull(holder);
        while (true)
        {
            var state = holder.Current;
            Add(state);
            bound = readBound.Read();
            if (ReferenceEquals(holder.Current, state))
            {
                return new Lease(this, state);
            }

            Release(state);
        }
    }

    /// <summary>The object paths of every SST a pinned snapshot references.</summary>
    public HashSet<string> PinnedPaths()
    {
        DbState[] states;
        lock (_lock)
        {
            states = [.. _pinned.Keys];
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var state in states)
        {
            foreach (var table in state.L0)
            {
                paths.Add(table.Path);
            }

            foreach (var run in state.SortedRuns)
            {
                foreach (var table in run.Tables)
                {
                    paths.Add(table.Path);
                }
            }
        }

        return paths;
    }

    private void Add(DbState state)
    {
        lock (_lock)
        {
            _pinned[state] = _pinned.GetValueOrDefault(state) + 1;
        }
    }

    private void Release(DbState state)
    {
        lock (_lock)
        {
            var count = _pinned[state] - 1;
            if (count == 0)
            {
                _pinned.Remove(state);
            }
            else
            {
                _pinned[state] = count;
            }
        }
    }

    /// <summary>One pin of one snapshot.</summary>
    public sealed class Lease : IDisposable
    {
        private SnapshotPins? _owner;

        internal Lease(SnapshotPins owner, DbState state)
        {
            _owner = owner;
            State = state;
        }

        /// <summary>The pinned snapshot.</summary>
        public DbState State { get; }

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(State);
    }
}
