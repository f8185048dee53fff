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

    /// <inheritdoc />
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_current is not null)
            {
                if (await _current.MoveNextAsync(cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
            }

            if (_next >= _run.Tables.Length || _range.IsPastEnd(_run.Tables[_next].FirstKey.Span))
            {
                return false;
            }

            var reader = await _tables.GetAsync(_run.Tables[_next++], cancellationToken).ConfigureAwait(false);
            _current = reader.CreateIterator(_range, _options);
        }
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
}
