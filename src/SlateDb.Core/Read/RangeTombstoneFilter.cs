using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Drops from a row stream every version that a range tombstone at or below a bound deletes (its seq is below the
/// seq of the newest such tombstone covering its key). It runs before anything folds versions into values, so a
/// covering tombstone acts as a point tombstone at its seq.
/// </summary>
internal sealed class RangeTombstoneFilter : IRowIterator
{
    private readonly IRowIterator _source;
    private readonly RangeTombstoneList _tombstones;
    private readonly ulong _bound;

    /// <param name="source">The rows (owned: disposed with the filter).</param>
    /// <param name="tombstones">The range tombstones to apply.</param>
    /// <param name="bound">Only tombstones with a seq at or below it delete.</param>
    public RangeTombstoneFilter(IRowIterator source, RangeTombstoneList tombstones, ulong bound)
    {
        _source = source;
        _tombstones = tombstones;
        _bound = bound;
    }

    /// <summary>Rows dropped so far.</summary>
    public long Dropped { get; private set; }

    /// <inheritdoc />
    public Row Current => _source.Current;

    /// <inheritdoc />
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        while (await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = _source.Current;
            if (!_tombstones.Deletes(row.Key.Span, row.Seq, _bound))
            {
                return true;
            }

            Dropped++;
        }

        return false;
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => _source.SeekAsync(key, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();
}
