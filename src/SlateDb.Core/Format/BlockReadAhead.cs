namespace SlateDb.Format;

/// <summary>
/// Fetches the data blocks one <see cref="SstIterator"/> reads from a store-backed SST: from the group of blocks it is
/// reading, the block cache, the queue of ranged GETs it has started ahead, or one new ranged GET. Not thread-safe (one
/// iterator, one caller at a time).
/// </summary>
/// <remarks>
/// <para>
/// Without a <see cref="ReadAheadBudget"/> every block is its own GET. With one, the iterator keeps ranged GETs in
/// flight ahead of the block it reads, as sized and bounded by the budget (see its remarks): they run concurrently,
/// are queued in block order, and each is consumed whole before the next. A GET only starts at a block that is not
/// cached and stops before a cached one, so cached blocks are served from the cache, never fetched again.
/// </para>
/// <para>
/// A read that does not continue where the last one ended (a seek) drops the queue and starts over with one block.
/// Dropped and disposed requests are cancelled and their exceptions observed; a failed request that is needed surfaces
/// as the exception of the read that needed it, and the next read starts over from that block.
/// </para>
/// </remarks>
internal sealed class BlockReadAhead
{
    private readonly SstReader _reader;
    private readonly ReadAheadBudget? _budget;
    private readonly bool _cacheBlocks;
    private readonly bool _cacheStartBlocks;
    private readonly int _stopBlock;
    private Queue<Request>? _queue;
    private CancellationTokenSource? _cancel;

    // The group being read: blocks [_first, _first + _count) in _data; _taken is what it holds of the budget.
    private ReadOnlyMemory<byte> _data;
    private int _first;
    private int _count;
    private long _taken;

    private int _next;   // the first block not yet requested
    private int _size;   // blocks of the next request
    private int _depth;  // requests kept queued ahead: with ramp, -1 at a start, then 1, then one more each time the reader waits for a GET
    private bool _disposed;

    /// <param name="reader">The SST.</param>
    /// <param name="options">How to read: caching and the read-ahead budget.</param>
    /// <param name="stopBlock">No block at or past this one is read.</param>
    public BlockReadAhead(SstReader reader, SstReadOptions options, int stopBlock)
    {
        _reader = reader;
        _budget = options.ReadAhead ?? (options.ReadAheadBlocks > 1 ? ReadAheadBudget.FixedGroups(options.ReadAheadBlocks) : null);
        _cacheBlocks = options.CacheBlocks;
        _cacheStartBlocks = options.CacheStartBlocks;
        _stopBlock = stopBlock;
        Restart(0);
    }

    /// <summary>How many read-ahead requests are queued (for tests).</summary>
    internal int Queued => _queue?.Count ?? 0;

    /// <summary>
    /// Block <paramref name="b"/>. <paramref name="sequential"/> says that it follows the block read last; anything
    /// else is the start of a read (the first block, or a seek).
    /// </summary>
    public ValueTask<DataBlock> GetAsync(int b, bool sequential, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count > 0)
        {
            if (b >= _first && b < _first + _count)
            {
                return new ValueTask<DataBlock>(Decode(b, _first, _data, cache: _cacheBlocks));
            }

            var movedOn = sequential && b == _first + _count;
            ReleaseGroup();
            if (movedOn && _budget is { Ramp: true } && _depth < 1)
            {
                _depth++;
            }
        }

        if (_queue is { Count: > 0 } queue && (!sequential || queue.Peek().First < b))
        {
            DropQueue();
        }

        if (!sequential)
        {
            Restart(b);
        }

        if (_queue is { Count: > 0 } pending && pending.Peek().First == b)
        {
            return TakeHeadAsync(b, ct);
        }

        if (_reader.TryGetCached(b, out var cached))
        {
            return new ValueTask<DataBlock>(cached);
        }

        return FetchAsync(b, sequential, ct);
    }

    /// <summary>Cancels and forgets every request (their failures observed) and gives their budget back.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        ReleaseGroup();
        DropQueue();
    }

    // Starts a read at block b: nothing queued, the ramp from its start.
    private void Restart(int b)
    {
        _next = b;
        _size = _budget is { Ramp: false } fixedGroups ? fixedGroups.FirstRequestBlocks : 1;
        _depth = _budget is { Ramp: false } ? 1 : -1;
    }

    // The head of the queue holds block b: wait for it and read from it.
    private async ValueTask<DataBlock> TakeHeadAsync(int b, CancellationToken ct)
    {
        var head = _queue!.Dequeue();
        if (!head.Task.IsCompleted)
        {
            Deepen();   // the reader waits for the store: keep more requests in flight
        }

        ReadOnlyMemory<byte> data;
        try
        {
            data = ct.CanBeCanceled ? await head.Task.WaitAsync(ct).ConfigureAwait(false) : await head.Task.ConfigureAwait(false);
        }
        catch
        {
            Drop(head);
            DropQueue();
            throw;
        }

        if (_disposed)
        {
            _budget!.Return(head.Bytes);
            throw new ObjectDisposedException(nameof(BlockReadAhead));
        }

        (_data, _first, _count, _taken) = (data, head.First, head.Count, head.Bytes);
        TopUp();
        return Decode(b, _first, _data, cache: _cacheBlocks);
    }

    // Block b is needed now and neither read nor queued nor cached.
    private async ValueTask<DataBlock> FetchAsync(int b, bool sequential, CancellationToken ct)
    {
        // A block before the queued requests was cached when they were made and has been evicted since: fetch it alone.
        var gap = _queue is { Count: > 0 };
        var count = 1;
        long taken = 0;
        if (!gap && _budget is { } budget)
        {
            if (sequential && _depth >= 1)
            {
                Deepen();   // the read-ahead did not reach this block: the reader waits for the store
            }

            _next = b;
            count = RequestBlocks(b, _size);
            taken = _reader.Index.RangeLength(b, count);
            if (!budget.TryTake(taken))
            {
                count = 1;
                taken = _reader.Index.RangeLength(b, 1);
                budget.Take(taken);
            }
        }

        ReadOnlyMemory<byte> data;
        try
        {
            data = await _reader.FetchBlocksAsync(b, count, ct).ConfigureAwait(false);
        }
        catch
        {
            if (!gap)
            {
                _budget?.Return(taken);
            }

            throw;
        }

        if (_disposed)
        {
            if (!gap)
            {
                _budget?.Return(taken);
            }

            throw new ObjectDisposedException(nameof(BlockReadAhead));
        }

        var cache = _cacheBlocks || (_cacheStartBlocks && !sequential && count == 1);
        if (gap)
        {
            return Decode(b, b, data, cache);
        }

        (_data, _first, _count, _taken) = (data, b, count, taken);
        if (_budget is not null)
        {
            _next = b + count;
            Grow();
            TopUp();
        }

        return Decode(b, _first, _data, cache);
    }

    // Queues read-ahead requests while the depth and the budget allow.
    private void TopUp()
    {
        var budget = _budget!;
        while (Queued < _depth)
        {
            while (_next < _stopBlock && _reader.IsCached(_next))
            {
                _next++;
            }

            if (_next >= _stopBlock)
            {
                return;
            }

            var count = RequestBlocks(_next, _size);
            var bytes = _reader.Index.RangeLength(_next, count);
            if (!budget.TryTake(bytes))
            {
                return;
            }

            _cancel ??= new CancellationTokenSource();
            Task<ReadOnlyMemory<byte>> task;
            try
            {
                task = _reader.FetchBlocksAsync(_next, count, _cancel.Token);
            }
            catch
            {
                budget.Return(bytes);
                throw;
            }

            (_queue ??= new Queue<Request>()).Enqueue(new Request(_next, count, bytes, task));
            _next += count;
            Grow();
        }
    }

    // Blocks of a request from `first`: up to `wanted`, stopping before the stop block, a cached block or the size cap.
    private int RequestBlocks(int first, int wanted)
    {
        var count = 1;
        while (count < wanted && first + count < _stopBlock && !_reader.IsCached(first + count)
               && _reader.Index.RangeLength(first, count + 1) <= _budget!.MaxRequestBytes)
        {
            count++;
        }

        return count;
    }

    private void Deepen()
    {
        if (_budget is { Ramp: true } budget)
        {
            _depth = Math.Min(_depth + 1, budget.MaxRequests);
        }
    }

    private void Grow()
    {
        var budget = _budget!;
        _size = !budget.Ramp ? budget.FirstRequestBlocks
            : _size == 1 ? budget.FirstRequestBlocks
            : (int)Math.Min(Math.Min(_size * 2L, budget.MaxRequestBlocks), Math.Max(1, _reader.BlockCount));
    }

    private DataBlock Decode(int b, int first, ReadOnlyMemory<byte> data, bool cache)
    {
        var block = _reader.DecodeBlock(b, _reader.SliceGroup(data, first, b));
        if (cache)
        {
            _reader.AddToCache(block);
        }

        return block;
    }

    private void ReleaseGroup()
    {
        if (_count > 0)
        {
            _budget?.Return(_taken);
        }

        (_data, _first, _count, _taken) = (default, 0, 0, 0);
    }

    private void DropQueue()
    {
        if (_queue is not { Count: > 0 } queue)
        {
            return;
        }

        _cancel?.Cancel();
        _cancel = null;
        while (queue.TryDequeue(out var request))
        {
            Drop(request);
        }
    }

    private void Drop(Request request)
    {
        _budget!.Return(request.Bytes);
        _ = request.Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private sealed record Request(int First, int Count, long Bytes, Task<ReadOnlyMemory<byte>> Task);
}
