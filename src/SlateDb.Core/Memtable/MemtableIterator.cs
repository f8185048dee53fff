using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Memtable;

/// <summary>
/// Walks the level-0 links of a <see cref="SkipList"/> within a <see cref="KeyRange"/>. Lock-free: it may run while
/// the writer inserts, and follows links with acquire reads, so it only ever lands on fully written rows.
/// </summary>
/// <remarks>
/// The next row is found when <see cref="MoveNextAsync"/> is called, not earlier, so rows inserted after the
/// current one while the iterator runs may be seen. Rows it hands out stay valid for the memtable's lifetime.
/// </remarks>
internal sealed class MemtableIterator : IRowIterator
{
    private readonly SkipList _list;
    private readonly KeyRange _range;
    private State _state;
    private int _node;
    private Row _current;

    /// <summary>Creates an iterator over the rows of <paramref name="list"/> within <paramref name="range"/>.</summary>
    public MemtableIterator(SkipList list, KeyRange range)
    {
        _list = list;
        _range = range;
    }

    private enum State
    {
        // Not started: the first move goes to the start of the range.
        Unpositioned,

        // After a seek: _node is the row the next move returns (0: none).
        Sought,

        // On _node: the next move follows its link.
        OnRow,

        // Past the end of the range.
        Exhausted,
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        int next;
        switch (_state)
        {
            case State.Unpositioned:
                next = _range.Start is { } start ? _list.FindGreaterOrEqual(start.Span, ulong.MaxValue) : _list.First();
                break;
            case State.Sought:
                next = _node;
                break;
            case State.OnRow:
                next = _list.Next(_node);
                break;
            default:
                return new ValueTask<bool>(false);
        }

        if (next == 0 || _range.IsPastEnd(_list.GetKey(next)))
        {
            _state = State.Exhausted;
            _current = default;
            return new ValueTask<bool>(false);
        }

        _node = next;
        _state = State.OnRow;
        _current = _list.GetRow(next);
        return new ValueTask<bool>(true);
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        var target = _range.IsBeforeStart(key.Span) ? _range.Start!.Value.Span : key.Span;
        _node = _list.FindGreaterOrEqual(target, ulong.MaxValue);
        _state = State.Sought;
        _current = default;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
