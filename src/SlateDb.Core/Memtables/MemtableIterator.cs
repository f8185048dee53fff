using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Memtables;

/// <summary>
/// Merges the runs of a memtable snapshot within a <see cref="KeyRange"/>, in (key ascending, seq descending) order;
/// with <c>newestOnly</c>, only the newest row of each key.
/// </summary>
/// <remarks>
/// The iterator reads the <see cref="RunSet"/> it was given and nothing published later, so it sees the rows the
/// table held when it was created; runs are immutable, so it needs no locks. A binary heap of run cursors picks the
/// next entry; only the entry arrays are touched until a row is handed out, and the record of an upcoming entry is
/// prefetched. Rows it hands out point into the arena and stay valid for the memtable's lifetime.
/// </remarks>
internal sealed class MemtableIterator : IRowIterator
{
    // How many entries ahead of the one handed out the record is prefetched.
    private const int PrefetchDistance = 6;

    private readonly ByteArena _arena;
    private readonly EntryOrder _order;
    private readonly RunEntry[][] _runs;
    private readonly KeyRange _range;
    private readonly bool _newestOnly;
    private readonly int[] _positions;
    private readonly int[] _heap;
    private int _heapCount;
    private bool _positioned;
    private bool _exhausted;
    private bool _hasLast;
    private RunEntry _last;
    private Row _current;

    /// <summary>Creates an iterator over <paramref name="snapshot"/> within <paramref name="range"/>.</summary>
    public MemtableIterator(ByteArena arena, EntryOrder order, RunSet snapshot, KeyRange range, bool newestOnly)
    {
        _arena = arena;
        _order = order;
        _runs = snapshot.Runs;
        _range = range;
        _newestOnly = newestOnly;
        _positions = new int[_runs.Length];
        _heap = new int[_runs.Length];
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        if (!_positioned)
        {
            Position(_range.Start is { } start ? start.Span : default, _range.Start is not null);
        }

        while (!_exhausted && _heapCount > 0)
        {
            var run = _heap[0];
            var entries = _runs[run];
            var position = _positions[run];
            var entry = entries[position];
            Advance(run, entries, position + 1);

            if (_newestOnly && _hasLast && _order.SameKey(in _last, in entry))
            {
                continue;
            }

            var row = RowRecord.Read(_arena, in entry);
            if (_range.IsPastEnd(row.Key.Span))
            {
                break;
            }

            _last = entry;
            _hasLast = true;
            _current = row;
            return new ValueTask<bool>(true);
        }

        _exhausted = true;
        _current = default;
        return new ValueTask<bool>(false);
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var target = _range.IsBeforeStart(key.Span) ? _range.Start!.Value.Span : key.Span;
        Position(target, seek: true);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // Puts every run's cursor on its first entry at or after `key` (or its first entry) and rebuilds the heap.
    private void Position(ReadOnlySpan<byte> key, bool seek)
    {
        var probe = new EntryProbe(key, ulong.MaxValue);
        _heapCount = 0;
        for (var run = 0; run < _runs.Length; run++)
        {
            var position = seek ? _order.LowerBound(_runs[run], in probe) : 0;
            _positions[run] = position;
            if (position < _runs[run].Length)
            {
                _heap[_heapCount++] = run;
            }
        }

        for (var i = (_heapCount / 2) - 1; i >= 0; i--)
        {
            SiftDown(i);
        }

        _positioned = true;
        _exhausted = false;
        _hasLast = false;
        _current = default;
    }

    // Moves run `run` to `position`, prefetching a record further on, and restores the heap.
    private void Advance(int run, RunEntry[] entries, int position)
    {
        _positions[run] = position;
        if (position >= entries.Length)
        {
            _heap[0] = _heap[--_heapCount];
        }
        else if (position + PrefetchDistance < entries.Length)
        {
            ref readonly var ahead = ref entries[position + PrefetchDistance];
            Prefetch.Line(_arena.Chunk(ahead.Chunk), ahead.Offset);
        }

        if (_heapCount > 1)
        {
            SiftDown(0);
        }
    }

    private void SiftDown(int index)
    {
        while (true)
        {
            var smallest = index;
            var left = (2 * index) + 1;
            var right = left + 1;
            if (left < _heapCount && Before(_heap[left], _heap[smallest]))
            {
                smallest = left;
            }

            if (right < _heapCount && Before(_heap[right], _heap[smallest]))
            {
                smallest = right;
            }

            if (smallest == index)
            {
                return;
            }

            (_heap[index], _heap[smallest]) = (_heap[smallest], _heap[index]);
            index = smallest;
        }
    }

    // Whether run a's current entry comes before run b's; equal entries (never expected) put the newer run first.
    private bool Before(int a, int b)
    {
        var c = _order.Compare(in _runs[a][_positions[a]], in _runs[b][_positions[b]]);
        return c < 0 || (c == 0 && a < b);
    }
}
