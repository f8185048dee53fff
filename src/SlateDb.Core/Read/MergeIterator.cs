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
/// <para><b>Cost.</b> No allocation per row. Sources whose calls complete synchronously keep the whole merge
/// synchronous; the first source call that does not complete moves the rest of that move onto an async path.</para>
/// <para>The yielded row points into its source's memory: valid until the next move, as for every
/// <see cref="IRowIterator"/>. Disposing the merge disposes the sources. Not thread-safe.</para>
/// </remarks>
internal sealed class MergeIterator : IRowIterator
{
    private readonly IRowIterator[] _sources;
    private readonly Row[] _rows;
    private readonly ulong[] _prefixes;
    private readonly int[] _heap;
    private readonly ulong _maxSeq;
    private readonly bool _newestOnly;
    private readonly bool _hideTombstones;
    private readonly bool _hasNow;
    private readonly long _nowMs;
    private int _heapCount;
    private int _primeNext;
    private bool _advanceTop;
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private ulong _lastPrefix;
    private ulong _lastSeq;
    private bool _hasLast;
    private Row _current;
    private bool _disposed;

    /// <summary>Creates a merge over <paramref name="sources"/>, newest first. The merge owns and disposes them.</summary>
    public MergeIterator(IReadOnlyList<IRowIterator> sources, MergeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        options ??= MergeOptions.Default;
        _sources = new IRowIterator[sources.Count];
        for (var i = 0; i < _sources.Length; i++)
        {
            _sources[i] = sources[i] ?? throw new ArgumentException($"Source {i} is null.", nameof(sources));
        }

        _rows = new Row[_sources.Length];
        _prefixes = new ulong[_sources.Length];
        _heap = new int[_sources.Length];
        _maxSeq = options.MaxSeq;
        _newestOnly = options.NewestOnly;
        _hideTombstones = options.HideTombstones;
        _hasNow = options.NowMs.HasValue;
        _nowMs = options.NowMs.GetValueOrDefault();
    }

    private enum Outcome
    {
        Yielded,
        Ended,
        Pending,
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var outcome = Run(cancellationToken, out var pending);
        return outcome == Outcome.Pending ? MoveNextSlowAsync(pending, cancellationToken) : new ValueTask<bool>(outcome == Outcome.Yielded);
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _heapCount = 0;
        _primeNext = 0;
        _advanceTop = false;
        _hasLast = false;
        _current = default;
        for (var i = 0; i < _sources.Length; i++)
        {
            var seek = _sources[i].SeekAsync(key, cancellationToken);
            if (!seek.IsCompletedSuccessfully)
            {
                return SeekSlowAsync(seek, i + 1, key, cancellationToken);
            }

            // Consume the completed result (a ValueTask backed by a pooled source must be consumed once); it does not block.
#pragma warning disable VSTHRD103
            seek.GetAwaiter().GetResult();
#pragma warning restore VSTHRD103
        }

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

    private async ValueTask SeekSlowAsync(ValueTask pending, int next, ReadOnlyMemory<byte> key, CancellationToken cancellationToken)
    {
        await pending.ConfigureAwait(false);
        for (var i = next; i < _sources.Length; i++)
        {
            await _sources[i].SeekAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    // Moves the merge until it yields a row, ends, or meets a source call that has not completed (returned in
    // `pending`; the caller awaits it and hands the result to Complete).
    private Outcome Run(CancellationToken cancellationToken, out ValueTask<bool> pending)
    {
        while (true)
        {
            if (_primeNext < _sources.Length)
            {
                pending = _sources[_primeNext].MoveNextAsync(cancellationToken);
            }
            else if (_advanceTop)
            {
                pending = _sources[_heap[0]].MoveNextAsync(cancellationToken);
            }
            else if (_heapCount == 0)
            {
                pending = default;
                _current = default;
                return Outcome.Ended;
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

    // Takes in the result of the source call Run started: priming a source, or advancing the heap top.
    private void Complete(bool moved)
    {
        if (_primeNext < _sources.Length)
        {
            var source = _primeNext++;
            if (moved)
            {
                Load(source);
                Push(source);
            }

            return;
        }

        _advanceTop = false;
        if (moved)
        {
            Load(_heap[0]);
        }
        else
        {
            _heap[0] = _heap[--_heapCount];
        }

        SiftDown(0);
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
            return true;
        }

        if (_hideTombstones && row.Kind == RowKind.Delete)
        {
            return false;
        }

        _current = row;
        return true;
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
