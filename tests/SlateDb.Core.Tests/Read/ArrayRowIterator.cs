using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Core.Tests.Read;

/// <summary>
/// An <see cref="IRowIterator"/> over rows already in memory and already in (key ascending, seq descending) order:
/// test and benchmark sources. Completes every call synchronously.
/// </summary>
internal sealed class ArrayRowIterator : IRowIterator
{
    private readonly ReadOnlyMemory<Row> _rows;
    private int _next;
    private Row _current;

    /// <summary>Creates an iterator over <paramref name="rows"/>, which it does not copy.</summary>
    /// <exception cref="ArgumentException">The rows are out of order, or two share a key and seq.</exception>
    public ArrayRowIterator(ReadOnlyMemory<Row> rows)
    {
        var span = rows.Span;
        for (var i = 1; i < span.Length; i++)
        {
            if (RowOrder.Compare(span[i - 1], span[i]) >= 0)
            {
                throw new ArgumentException(
                    $"Rows must be in (key ascending, seq descending) order without repeats; row {i} ({span[i]}) does not come after row {i - 1} ({span[i - 1]}).",
                    nameof(rows));
            }
        }

        _rows = rows;
    }

    /// <summary>Sorts a copy of <paramref name="rows"/> into row order and iterates over it.</summary>
    /// <exception cref="ArgumentException">Two rows share a key and seq.</exception>
    public static ArrayRowIterator FromUnsorted(IEnumerable<Row> rows)
    {
        var array = rows.ToArray();
        Array.Sort(array, static (a, b) => RowOrder.Compare(a, b));
        return new ArrayRowIterator(array);
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        if (_next >= _rows.Length)
        {
            _next = _rows.Length;
            _current = default;
            return new ValueTask<bool>(false);
        }

        _current = _rows.Span[_next++];
        return new ValueTask<bool>(true);
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        // Binary search for the first row whose key is >= key.
        var span = _rows.Span;
        int lo = 0, hi = span.Length;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (span[mid].Key.Span.SequenceCompareTo(key.Span) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        _next = lo;
        _current = default;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
