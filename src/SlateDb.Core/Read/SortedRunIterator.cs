using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Iterates a sorted run within a key range: its SSTs are key-ordered and disjoint, so it opens one SST iterator at a
/// time, in order, and a seek jumps straight to the SST whose range can hold the key.
/// </summary>
internal sealed class SortedRunIterator : IRowIterator
{
    private readonly SortedRunView _run;
    private readonly KeyRange _range;
    private readonly TableCache _tables;
    private readonly SstReadOptions _options;
    private int _next;             // index of the next SST to open
    private IRowIterator? _current;

    public SortedRunIterator(SortedRunView run, KeyRange range, TableCache tables, SstReadOptions options)
    {
        _run = run;
        _range = range;
        _tables = tables;
        _options = options;
        _next = range.Start is { } start ? run.FirstEndingAtOrAfter(start.Span) : 0;
    }

    /// <inheritdoc />
    public Row Current => _current!.Current;

    /// <summary>
    /// Until the first move or seek, a key at or below every row it yields: the first key of the first SST it opens
    /// (empty when it opens none).
    /// </summary>
    public ReadOnlyMemory<byte> LowerBound => _next < _run.Tables.Length ? _run.Tables[_next].FirstKey : default;

    /// <inheritdoc />
    /// <remarks>Completes synchronously while the open SST does (rows of a loaded block).</remarks>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        if (_current is null)
        {
            return MoveNextSlowAsync(null, cancellationToken);
        }

        var moved = _current.MoveNextAsync(cancellationToken);
        if (!moved.IsCompletedSuccessfully)
        {
            return MoveNextSlowAsync(moved, cancellationToken);
        }

#pragma warning disable VSTHRD103 // Result is read only after IsCompletedSuccessfully: it never blocks.
        return moved.Result ? new ValueTask<bool>(true) : MoveNextSlowAsync(null, cancellationToken);
#pragma warning restore VSTHRD103
    }

    /// <inheritdoc />
    public async ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }

        _next = _run.FirstEndingAtOrAfter(key.Span);
        if (_next < _run.Tables.Length && !_range.IsPastEnd(_run.Tables[_next].FirstKey.Span))
        {
            var reader = await _tables.GetAsync(_run.Tables[_next++], cancellationToken).ConfigureAwait(false);
            _current = reader.CreateIterator(_range, _options);
            await _current.SeekAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _current?.DisposeAsync() ?? ValueTask.CompletedTask;

    // The rest of a move: `pending` is the open SST's move that did not complete at once; null when the open SST (if
    // any) has no more rows.
    private async ValueTask<bool> MoveNextSlowAsync(ValueTask<bool>? pending, CancellationToken cancellationToken)
    {
        if (pending is { } move && await move.ConfigureAwait(false))
        {
            return true;
        }

        while (true)
        {
            if (_current is not null)
            {
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }

            if (_next >= _run.Tables.Length || _range.IsPastEnd(_run.Tables[_next].FirstKey.Span))
            {
                return false;
            }

            var reader = await _tables.GetAsync(_run.Tables[_next++], cancellationToken).ConfigureAwait(false);
            _current = reader.CreateIterator(_range, _options);
            if (await _current.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
        }
    }
}
