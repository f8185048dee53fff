namespace SlateDb.Format;

/// <summary>
/// How SST iterators read ahead, and the allowance they share: one scan (or one compaction) gives the same budget to
/// every SST iterator it opens, so however many sources it merges, the bytes it has requested and not yet consumed stay
/// below <see cref="MaxBytes"/> and its ranged GETs in flight below <see cref="MaxRequests"/>. Safe for concurrent use.
/// </summary>
/// <remarks>
/// <para>
/// A block an iterator needs now is always fetched, budget or not (it is counted, so read-ahead pauses until it is
/// consumed); such a read is one block when the budget is spent. Read-ahead requests are only made within the budget.
/// The bytes in use may therefore exceed <see cref="MaxBytes"/> by at most one block per iterator.
/// </para>
/// <para>
/// With <see cref="Ramp"/> (scans) an iterator starts with the single block where it starts reading, and reads ahead
/// only once it moves on sequentially: the next request is <see cref="FirstRequestBlocks"/> blocks, each later one
/// twice the one before up to <see cref="MaxRequestBytes"/>. It keeps one request ahead, and one more (up to
/// <see cref="MaxRequests"/>) each time it has to wait for a GET: where GETs are slow (an object store) several are
/// soon in flight, where they are fast (local files, whose reads are memory copies that would only compete with the
/// reader for CPU) one stays enough. A short scan thus costs one block (or one small request more). Without ramp (compaction) every request is <see cref="FirstRequestBlocks"/>
/// blocks and one request is kept ahead from the start.
/// </para>
/// </remarks>
internal sealed class ReadAheadBudget
{
    /// <summary>The most read-ahead requests one scan's iterator keeps queued ahead of the block it reads.</summary>
    public const int MaxScanRequests = 8;

    /// <summary>The largest single ranged GET of a scan's read-ahead.</summary>
    public const long MaxScanRequestBytes = 1024 * 1024;

    private readonly Lock _lock = new();
    private long _bytes;
    private int _requests;
    private long _peakBytes;
    private int _peakRequests;

    private ReadAheadBudget(long maxBytes, int maxRequests, int firstRequestBlocks, int maxRequestBlocks, long maxRequestBytes, bool ramp)
    {
        MaxBytes = maxBytes;
        MaxRequests = maxRequests;
        FirstRequestBlocks = firstRequestBlocks;
        MaxRequestBlocks = maxRequestBlocks;
        MaxRequestBytes = maxRequestBytes;
        Ramp = ramp;
    }

    /// <summary>The most bytes requested ahead and not yet consumed (see the remarks for needed blocks).</summary>
    public long MaxBytes { get; }

    /// <summary>The most requests in flight or fetched and not yet consumed.</summary>
    public int MaxRequests { get; }

    /// <summary>The blocks of the first read-ahead request.</summary>
    public int FirstRequestBlocks { get; }

    /// <summary>The most blocks of one request.</summary>
    public int MaxRequestBlocks { get; }

    /// <summary>The most bytes of one request (a request always holds at least one block).</summary>
    public long MaxRequestBytes { get; }

    /// <summary>Whether iterators start with one block and grow their read-ahead as they move on sequentially.</summary>
    public bool Ramp { get; }

    /// <summary>The bytes requested and not yet consumed now.</summary>
    public long BytesInUse
    {
        get
        {
            lock (_lock)
            {
                return _bytes;
            }
        }
    }

    /// <summary>The requests made and not yet consumed now.</summary>
    public int RequestsInUse
    {
        get
        {
            lock (_lock)
            {
                return _requests;
            }
        }
    }

    /// <summary>The most bytes in use at any time so far (for tests and diagnostics).</summary>
    public long PeakBytes
    {
        get
        {
            lock (_lock)
            {
                return _peakBytes;
            }
        }
    }

    /// <summary>The most requests in use at any time so far (for tests and diagnostics).</summary>
    public int PeakRequests
    {
        get
        {
            lock (_lock)
            {
                return _peakRequests;
            }
        }
    }

    /// <summary>
    /// The budget of one scan: at most <paramref name="maxBytes"/> read ahead (0 turns read-ahead off: one block per
    /// request), ramped from one block, requests of up to 1 MiB (or a quarter of the budget when that is smaller),
    /// at most <see cref="MaxScanRequests"/> requests.
    /// </summary>
    public static ReadAheadBudget ForScan(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        return new ReadAheadBudget(
            maxBytes, maxBytes == 0 ? 0 : MaxScanRequests, firstRequestBlocks: 2, maxRequestBlocks: int.MaxValue,
            maxRequestBytes: Math.Min(MaxScanRequestBytes, Math.Max(1, maxBytes / 4)), ramp: true);
    }

    /// <summary>
    /// Fixed groups of <paramref name="blocks"/> blocks (up to <see cref="SstFormat.MaxReadAheadBytes"/>), one kept
    /// ahead of the one being read by each iterator, no bound across iterators (compaction inputs).
    /// </summary>
    public static ReadAheadBudget FixedGroups(int blocks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        return new ReadAheadBudget(long.MaxValue, int.MaxValue, blocks, blocks, SstFormat.MaxReadAheadBytes, ramp: false);
    }

    /// <summary>Takes <paramref name="bytes"/> for one read-ahead request if the budget allows it.</summary>
    public bool TryTake(long bytes)
    {
        lock (_lock)
        {
            if (_requests >= MaxRequests || (_bytes > 0 && bytes > MaxBytes - _bytes) || (_bytes == 0 && bytes > MaxBytes))
            {
                return false;
            }

            Add(bytes);
            return true;
        }
    }

    /// <summary>Takes <paramref name="bytes"/> for a read that is needed now, whatever the budget says.</summary>
    public void Take(long bytes)
    {
        lock (_lock)
        {
            Add(bytes);
        }
    }

    /// <summary>Gives back what <see cref="TryTake"/> or <see cref="Take"/> took, once the request is consumed or dropped.</summary>
    public void Return(long bytes)
    {
        lock (_lock)
        {
            _bytes -= bytes;
            _requests--;
            if (_bytes < 0 || _requests < 0)
            {
                throw new InvalidOperationException($"The read-ahead budget was given back more than it lent ({_bytes} bytes, {_requests} requests).");
            }
        }
    }

    private void Add(long bytes)
    {
        _bytes += bytes;
        _requests++;
        _peakBytes = Math.Max(_peakBytes, _bytes);
        _peakRequests = Math.Max(_peakRequests, _requests);
    }
}
