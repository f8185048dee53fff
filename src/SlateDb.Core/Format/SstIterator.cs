using SlateDb.Read;

namespace SlateDb.Format;

/// <summary>
/// Iterates the rows of one SST within a key range, block by block. Rows inside a loaded block are produced
/// synchronously with no allocation; crossing into a block not yet loaded takes the cache or one ranged GET for a group
/// of <see cref="SstReadOptions.ReadAheadBlocks"/> consecutive blocks, and with read-ahead the next group is requested
/// while the current one is consumed.
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
    private ReadOnlyMemory<byte> _group;
    private int _groupFirst;
    private int _groupCount;
    private Task<ReadOnlyMemory<byte>>? _prefetch;
    private int _prefetchFirst;
    private int _prefetchCount;

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
        DropPrefetch();
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

    // Loads block b into the cursor: from the current read-ahead group, the cache, the pending prefetch, or a new GET.
    private async ValueTask LoadAsync(int b, CancellationToken ct)
    {
        DataBlock block;
        if (_reader.InMemory)
        {
            block = await _reader.ReadBlockAsync(b, cache: false, ct).ConfigureAwait(false);
        }
        else if (b >= _groupFirst && b < _groupFirst + _groupCount)
        {
            block = DecodeFromGroup(b);
        }
        else if (_reader.TryGetCached(b, out var cached))
        {
            block = cached;
        }
        else
        {
            if (_prefetch is { } pending && _prefetchFirst == b)
            {
                _prefetch = null;
                _groupCount = 0;
                _group = await pending.ConfigureAwait(false);
                (_groupFirst, _groupCount) = (_prefetchFirst, _prefetchCount);
            }
            else
            {
                DropPrefetch();
                var count = GroupSize(b);
                _groupCount = 0;
                _group = await _reader.FetchBlocksAsync(b, count, ct).ConfigureAwait(false);
                (_groupFirst, _groupCount) = (b, count);
            }

            block = DecodeFromGroup(b);
            StartPrefetch(_groupFirst + _groupCount, ct);
        }

        _block = b;
        _cursor.Reset(block);
    }

    private DataBlock DecodeFromGroup(int b)
    {
        var block = _reader.DecodeBlock(b, _reader.SliceGroup(_group, _groupFirst, b));
        if (_options.CacheBlocks)
        {
            _reader.AddToCache(block);
        }

        return block;
    }

    // Blocks to fetch from b on: up to the read-ahead, stopping before the range's last block or a cached block.
    private int GroupSize(int b)
    {
        var count = 1;
        while (count < _options.ReadAheadBlocks && b + count < _stopBlock
               && _reader.Index.RangeLength(b, count + 1) <= SstFormat.MaxReadAheadBytes
               && !_reader.IsCached(b + count))
        {
            count++;
        }

        return count;
    }

    private void StartPrefetch(int b, CancellationToken ct)
    {
        while (b < _stopBlock && _reader.IsCached(b))
        {
            b++;
        }

        if (_options.ReadAheadBlocks <= 1 || b >= _stopBlock || _prefetch is not null)
        {
            return;
        }

        _prefetchFirst = b;
        _prefetchCount = GroupSize(b);
        _prefetch = _reader.FetchBlocksAsync(b, _prefetchCount, ct);
    }

    private void DropPrefetch()
    {
        if (_prefetch is { } pending)
        {
            _prefetch = null;
            _ = pending.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private enum Verdict
    {
        Yield,
        Skip,
        Stop,
    }
}
