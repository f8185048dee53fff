using SlateDb.Read;

namespace SlateDb.Format;

/// <summary>
/// Iterates the rows of one SST within a key range, block by block. Rows inside a loaded block are produced
/// synchronously with no allocation; crossing into a block not yet loaded goes through <see cref="BlockReadAhead"/>
/// (the cache, or ranged GETs, several in flight ahead of the reader when the options give a read-ahead budget).
/// </summary>
/// <remarks>
/// Range bounds: the start is applied by seeking; the end is only compared in blocks whose index key reaches it (earlier
/// blocks hold only smaller keys), and no block past the first such block is read. A WAL SST (keys in any order) is
/// read in full and filtered row by row; it cannot seek.
/// </remarks>
internal sealed class SstIterator : IRowIterator
{
    private readonly SstReader _reader;
    private readonly KeyRange _range;
    private readonly SstReadOptions _options;
    private readonly BlockCursor _cursor = new();
    private readonly bool _filterRows;
    private readonly int _endBlock;
    private readonly int _stopBlock;
    private int _block = -1;
    private bool _started;
    private bool _exhausted;
    private readonly BlockReadAhead? _blocks;

    public SstIterator(SstReader reader, KeyRange range, SstReadOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReadAheadBlocks, 1, nameof(options.ReadAheadBlocks));
        _reader = reader;
        _range = range;
        _options = options;
        var count = reader.BlockCount;
        if (reader.Info.Kind == SstKind.Wal)
        {
            _filterRows = range.Start is not null || range.End is not null;
            _endBlock = int.MaxValue;
            _stopBlock = count;
        }
        else
        {
            _endBlock = range.End is { } end ? reader.Index.FindFirstBlock(end.Span) : int.MaxValue;
            _stopBlock = (int)Math.Min(count, _endBlock + 1L);
            if (count > 0 && range.IsPastEnd(reader.Info.FirstKey.Span))
            {
                _stopBlock = 0;
            }
        }

        _blocks = reader.InMemory ? null : new BlockReadAhead(reader, options, _stopBlock);
    }

    /// <inheritdoc />
    public Row Current => _cursor.Current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        while (_started && !_exhausted && _cursor.MoveNext())
        {
            switch (Check())
            {
                case Verdict.Yield:
                    return new ValueTask<bool>(true);
                case Verdict.Stop:
                    return new ValueTask<bool>(false);
            }
        }

        return _exhausted ? new ValueTask<bool>(false) : MoveNextSlowAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        if (_reader.Info.Kind == SstKind.Wal)
        {
            throw new NotSupportedException($"'{_reader.Path}' is a WAL SST; WAL SSTs are only iterated in full.");
        }

        var target = _range.IsBeforeStart(key.Span) ? _range.Start!.Value : key;
        _started = true;
        _exhausted = false;
        var block = _reader.Index.FindFirstBlock(target.Span);
        if (block >= _stopBlock)
        {
            _exhausted = true;
            return;
        }

        await LoadAsync(block, cancellationToken).ConfigureAwait(false);
        _cursor.Seek(target.Span);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _exhausted = true;
        _blocks?.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask<bool> MoveNextSlowAsync(CancellationToken ct)
    {
        if (!_started)
        {
            if (_range.Start is { } start && !_filterRows)
            {
                await SeekAsync(start, ct).ConfigureAwait(false);
            }

            _started = true;
        }

        while (!_exhausted)
        {
            if (_cursor.Block is not null && _cursor.MoveNext())
            {
                switch (Check())
                {
                    case Verdict.Yield:
                        return true;
                    case Verdict.Stop:
                        return false;
                }

                continue;
            }

            if (_block + 1 >= _stopBlock)
            {
                _exhausted = true;
                break;
            }

            await LoadAsync(_block + 1, ct).ConfigureAwait(false);
        }

        return false;
    }

    private Verdict Check()
    {
        if (_filterRows)
        {
            return _range.Contains(_cursor.CurrentKey) ? Verdict.Yield : Verdict.Skip;
        }

        if (_block >= _endBlock && _range.IsPastEnd(_cursor.CurrentKey))
        {
            _exhausted = true;
            return Verdict.Stop;
        }

        return Verdict.Yield;
    }

    // Loads block b into the cursor: decoded from memory, or through the read-ahead (group, cache, queued GET, new GET).
    private async ValueTask LoadAsync(int b, CancellationToken ct)
    {
        var block = _reader.InMemory
            ? await _reader.ReadBlockAsync(b, cache: false, ct).ConfigureAwait(false)
            : await _blocks!.GetAsync(b, sequential: _block >= 0 && b == _block + 1, ct).ConfigureAwait(false);
        _block = b;
        _cursor.Reset(block);
    }

    private enum Verdict
    {
        Yield,
        Skip,
        Stop,
    }
}
