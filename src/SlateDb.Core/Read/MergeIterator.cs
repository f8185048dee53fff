using System.Runtime.CompilerServices;
using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Merges sources that are each ordered by (key ascending, seq descending) into one such stream, keeping the newest
/// visible version of each key (or every visible version), optionally hiding tombstones and expired rows.
/// </summary>
/// <remarks>
/// <para><b>Source order.</b> Sources are given newest first (memtable, immutable memtables, L0 SSTs newest first,
/// then sorted runs). When two sources hold the same (key, seq), the row of the <b>earlier</b> source wins and the
/// other is skipped; a (key, seq) pair is yielded at most once in every mode.</para>
/// <para><b>Outline.</b> A binary min-heap of source indices, ordered by each source's current row (key, then seq
/// descending, then source index), picks the next row; a cached 8-byte key prefix per source settles most
/// comparisons. The row yielded last stays at the heap top and its source is advanced lazily, on the next move. The
/// last yielded key is copied into a reusable buffer (a source's memory may change when it moves) so that older
/// versions of it can be recognised and skipped. Rows with a seq above <see cref="MergeOptions.MaxSeq"/> are skipped
/// before they can claim a key.</para>
/// <para><b>Waiting sources.</b> A source is not moved when the merge is created (or sought) but waits in the heap at
/// its lower bound (see the constructor), ordered before every row of that key; only when it reaches the heap top is it
/// moved to its first row. So a source whose keys all lie past where the reader stops (an L0 SST after the range a short
/// scan reads) is never read, and a full scan over disjoint sources reads them one after the other.</para>
/// <para><b>Cost.</b> No allocation per row. Sources whose calls complete synchronously keep the whole merge
/// synchronous; the first source call that does not complete moves the rest of that move onto an async path.</para>
/// <para>The yielded row points into its source's memory: valid until the next move, as for every
/// <see cref="IRowIterator"/>. Disposing the merge disposes the sources. Not thread-safe.</para>
/// </remarks>
internal sealed class MergeIterator : IRowIterator
{
    // The seq of a source's place in the heap before its first row: above every real seq, so it comes before every row
    // of its bound's key.
    private const ulong WaitingSeq = ulong.MaxValue;

    private readonly IRowIterator[] _sources;
    private readonly Row[] _rows;
    private readonly ulong[] _prefixes;
    private readonly int[] _heap;
    private readonly ulong _maxSeq;
    private readonly bool _newestOnly;
    private readonly bool _hideTombstones;
    private readonly bool _hasNow;
    private readonly long _nowMs;
    private readonly ReadOnlyMemory<byte>[] _lowerBounds;
    private readonly bool[] _waiting;
    private readonly bool[] _moved;
    private byte[] _seekKey = [];
    private int _heapCount;
    private int _secondSlot = -1;   // the heap slot (1 or 2) of the root's first child in order; -1: not known
    private bool _advanceTop;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private ulong _lastPrefix;
    private ulong _lastSeq;
    private bool _hasLast;
    private bool _lastYielded;   // a row of the last key was yielded
    private bool _currentStartsKey;
    private Row _current;
    private bool _disposed;

    /// <summary>Creates a merge over <paramref name="sources"/>, newest first. The merge owns and disposes them.</summary>
    /// <param name="sources">The sources, newest first.</param>
    /// <param name="options">What to yield.</param>
    /// <param name="lowerBounds">
    /// Per source, a key at or below every key it yields (empty: none known), or null. A source is only moved for the
    /// first time once the merge reaches its bound, so a source that starts past where the reader stops is never read.
    /// </param>
    public MergeIterator(IReadOnlyList<IRowIterator> sources, MergeOptions? options = null, IReadOnlyList<ReadOnlyMemory<byte>>? lowerBounds = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        options ??= MergeOptions.Default;
        if (lowerBounds is not null && lowerBounds.Count != sources.Count)
        {
            throw new ArgumentException($"{lowerBounds.Count} lower bounds for {sources.Count} sources.", nameof(lowerBounds));
        }

        _sources = new IRowIterator[sources.Count];
        _lowerBounds = new ReadOnlyMemory<byte>[_sources.Length];
        for (var i = 0; i < _sources.Length; i++)
        {
            _sources[i] = sources[i] ?? throw new ArgumentException($"Source {i} is null.", nameof(sources));
            _lowerBounds[i] = lowerBounds?[i] ?? default;
        }

        _rows = new Row[_sources.Length];
        _prefixes = new ulong[_sources.Length];
        _heap = new int[_sources.Length];
        _waiting = new bool[_sources.Length];
        _moved = new bool[_sources.Length];
        _maxSeq = options.MaxSeq;
        _newestOnly = options.NewestOnly;
        _hideTombstones = options.HideTombstones;
        _hasNow = options.NowMs.HasValue;
        _nowMs = options.NowMs.GetValueOrDefault();
        for (var i = 0; i < _sources.Length; i++)
        {
            Wait(i, _lowerBounds[i]);
        }
    }

    private enum Outcome
    {
        Yielded,
        Ended,
        Pending,
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <summary>
    /// Whether <see cref="Current"/> is the first row of its key this merge yields (since it was created or sought): the
    /// rows it yields after it with the same key are older versions.
    /// </summary>
    public bool CurrentStartsKey => _currentStartsKey;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var outcome = Run(cancellationToken, out var pending);
        return outcome == Outcome.Pending ? MoveNextSlowAsync(pending, cancellationToken) : new ValueTask<bool>(outcome == Outcome.Yielded);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A source not moved yet whose lower bound is at or past <paramref name="key"/> is not sought: its first row is
    /// already at or past the key.
    /// </remarks>
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _heapCount = 0;
        _secondSlot = -1;
        _advanceTop = false;
        _hasLast = false;
        _current = default;

        // The key is kept as the bound of the sources sought (the caller's memory may change after the call).
        if (_seekKey.Length < key.Length)
        {
            _seekKey = new byte[Math.Max(key.Length, _seekKey.Length * 2)];
        }

        key.Span.CopyTo(_seekKey);
        var target = _seekKey.AsMemory(0, key.Length);
        for (var i = 0; i < _sources.Length; i++)
        {
            if (!NeedsSeek(i, target.Span))
            {
                continue;
            }

            var seek = _sources[i].SeekAsync(target, cancellationToken);
            if (!seek.IsCompletedSuccessfully)
            {
                return SeekSlowAsync(seek, i, target, cancellationToken);
            }

            // Consume the completed result (a ValueTask backed by a pooled source must be consumed once); it does not block.
#pragma warning disable VSTHRD103
            seek.GetAwaiter().GetResult();
#pragma warning restore VSTHRD103
        }

        WaitAll(target);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        List<Exception>? errors = null;
        foreach (var source in _sources)
        {
            try
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                (errors ??= []).Add(e);
            }
        }

        if (errors is not null)
        {
            throw errors.Count == 1 ? errors[0] : new AggregateException("Disposing merge sources failed.", errors);
        }
    }

    private async ValueTask<bool> MoveNextSlowAsync(ValueTask<bool> pending, CancellationToken cancellationToken)
    {
        Outcome outcome;
        do
        {
            Complete(await pending.ConfigureAwait(false));
            outcome = Run(cancellationToken, out pending);
        }
        while (outcome == Outcome.Pending);

        return outcome == Outcome.Yielded;
    }

    private async ValueTask SeekSlowAsync(ValueTask pending, int sought, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        await pending.ConfigureAwait(false);
        for (var i = sought + 1; i < _sources.Length; i++)
        {
            if (NeedsSeek(i, key.Span))
            {
                await _sources[i].SeekAsync(key, cancellationToken).ConfigureAwait(false);
            }
        }

        WaitAll(key);
    }

    // Whether source i has to seek to `key`: it was moved, or it may hold keys below it. A seek counts as a move.
    private bool NeedsSeek(int i, ReadOnlySpan<byte> key)
    {
        if (!_moved[i] && KeyCompare.Compare(_lowerBounds[i].Span, key) >= 0)
        {
            return false;
        }

        _moved[i] = true;
        return true;
    }

    // After a seek to `key`: every source waits at its lower bound or the key, whichever is larger.
    private void WaitAll(ReadOnlyMemory<byte> key)
    {
        _heapCount = 0;
        _secondSlot = -1;
        for (var i = 0; i < _sources.Length; i++)
        {
            Wait(i, KeyCompare.Compare(_lowerBounds[i].Span, key.Span) >= 0 ? _lowerBounds[i] : key);
        }
    }

    // Puts source i into the heap before its first row, ordered by `bound` (a key at or below that row's key) and
    // before every row of that key: when it reaches the top, the source is moved and takes its place by its row.
    private void Wait(int i, ReadOnlyMemory<byte> bound)
    {
        _waiting[i] = true;
        _rows[i] = new Row(bound, WaitingSeq, RowKind.Put, ReadOnlyMemory<byte>.Empty, 0);
        _prefixes[i] = KeyCompare.KeyPrefix(bound.Span);
        Push(i);
    }

    // Moves the merge until it yields a row, ends, or meets a source call that has not completed (returned in
    // `pending`; the caller awaits it and hands the result to Complete).
    private Outcome Run(CancellationToken cancellationToken, out ValueTask<bool> pending)
    {
        while (true)
        {
            if (_advanceTop)
            {
                pending = _sources[_heap[0]].MoveNextAsync(cancellationToken);
            }
            else if (_heapCount == 0)
            {
                pending = default;
                _current = default;
                return Outcome.Ended;
            }
            else if (_waiting[_heap[0]])
            {
                // The merge reached a source's lower bound: its first row is needed now.
                _waiting[_heap[0]] = false;
                _moved[_heap[0]] = true;
                _advanceTop = true;
                continue;
            }
            else if (TryYieldTop())
            {
                pending = default;
                _advanceTop = true;
                return Outcome.Yielded;
            }
            else
            {
                _advanceTop = true;
                continue;
            }

            if (!pending.IsCompletedSuccessfully)
            {
                return Outcome.Pending;
            }

            Complete(pending.Result);
        }
    }

    // Takes in the result of the source call Run started: advancing the heap top (or moving a waiting source to its first row).
    private void Complete(bool moved)
    {
        _advanceTop = false;
        if (moved)
        {
            Load(_heap[0]);
            if (StaysOnTop())
            {
                return;
            }
        }
        else
        {
            _heap[0] = _heap[--_heapCount];
        }

        _secondSlot = -1;
        SiftDown(0);
    }

    // Whether the heap top, just moved, still comes before every other source: then the heap is unchanged. One
    // comparison while one source yields row after row (a scan of disjoint SSTs, or of one SST), since the root's
    // children keep their order until the heap changes.
    private bool StaysOnTop()
    {
        if (_heapCount < 2)
        {
            return true;
        }

        var second = _secondSlot;
        if (second < 0)
        {
            second = _heapCount > 2 && Precedes(_heap[2], _heap[1]) ? 2 : 1;
            _secondSlot = second;
        }

        return Precedes(_heap[0], _heap[second]);
    }

    // Decides about the row at the heap top: true when it is the next row to yield (then in _current); false when it
    // is to be skipped.
    private bool TryYieldTop()
    {
        var top = _heap[0];
        ref readonly var row = ref _rows[top];
        if (row.Seq > _maxSeq)
        {
            return false;
        }

        var key = row.Key.Span;
        var prefix = _prefixes[top];
        if (_hasLast && prefix == _lastPrefix && key.SequenceEqual(_lastKey.AsSpan(0, _lastKeyLength)))
        {
            // An older version of the key just yielded (or hidden), or the same (key, seq) from a later source.
            if (_newestOnly || row.Seq == _lastSeq)
            {
                return false;
            }
        }
        else
        {
            RememberKey(key, prefix);
        }

        _lastSeq = row.Seq;
        if (_hasNow && row.ExpireTs <= _nowMs)
        {
            if (_hideTombstones)
            {
                return false;
            }

            _current = new Row(row.Key, row.Seq, RowKind.Delete, ReadOnlyMemory<byte>.Empty, row.CreateTs);
            MarkYielded();
            return true;
        }

        if (_hideTombstones && row.Kind == RowKind.Delete)
        {
            return false;
        }

        _current = row;
        MarkYielded();
        return true;
    }

    private void MarkYielded()
    {
        _currentStartsKey = !_lastYielded;
        _lastYielded = true;
    }

    // Caches a source's current row, and its key prefix, which decides most heap comparisons on its own.
    private void Load(int source)
    {
        ref var row = ref _rows[source];
        row = _sources[source].Current;
        _prefixes[source] = KeyCompare.KeyPrefix(row.Key.Span);
    }

    private void RememberKey(ReadOnlySpan<byte> key, ulong prefix)
    {
        _lastPrefix = prefix;
        if (key.Length > _lastKey.Length)
        {
            _lastKey = new byte[Math.Max(key.Length, _lastKey.Length * 2)];
        }

        key.CopyTo(_lastKey);
        _lastKeyLength = key.Length;
        _hasLast = true;
        _lastYielded = false;
    }

    // Whether source a's current row comes before source b's: key ascending, seq descending, earlier source first.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Precedes(int a, int b)
    {
        var pa = _prefixes[a];
        var pb = _prefixes[b];
        if (pa != pb)
        {
            return pa < pb;
        }

        ref readonly var ra = ref _rows[a];
        ref readonly var rb = ref _rows[b];
        var c = ra.Key.Span.SequenceCompareTo(rb.Key.Span);
        if (c != 0)
        {
            return c < 0;
        }

        return ra.Seq != rb.Seq ? ra.Seq > rb.Seq : a < b;
    }

    private void Push(int source)
    {
        _secondSlot = -1;
        var i = _heapCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (!Precedes(source, _heap[parent]))
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = source;
    }

    private void SiftDown(int i)
    {
        var count = _heapCount;
        if (count <= 1)
        {
            return;
        }

        var item = _heap[i];
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= count)
            {
                break;
            }

            if (child + 1 < count && Precedes(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Precedes(_heap[child], item))
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        _heap[i] = item;
    }
}
