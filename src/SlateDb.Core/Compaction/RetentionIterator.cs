using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Compaction;

// What a compaction (and a memtable flush) keeps of each key's versions.
//
// Invariants
//  1. Every version with seq > minSeq is kept: a reader (snapshot) at any seq above minSeq finds what it found before.
//     The only changes made there are the ones every reader would make anyway: an expired put becomes a tombstone and
//     an expired merge operand is dropped (see VersionResolver).
//  2. Of the versions at or below minSeq, the newest (the "base") is kept, and when it is a merge operand, older
//     versions down to and including the first put or tombstone (operands fold onto it). Older ones are shadowed for
//     every reader and dropped.
//  3. A tombstone is dropped only as the base of a bottom output (no older run can hold a version it hides). A
//     tombstone above minSeq is kept even there: a reader below it still needs the version it shadows.
//  4. With a merge operator, the operands at or below minSeq are folded: adjacent operands with the same expiry time
//     become one operand, and the oldest group becomes a put when it lies on a tombstone, on a put with the same expiry,
//     or (bottom output) on nothing. Operands with different expiry times are never folded together, so each still
//     expires on its own. Without an operator, or when it throws, the operands are kept as they are.
//  5. Otherwise rows pass through unchanged (kind, value, create and expire timestamps).

/// <summary>Filters a merge of every version (key ascending, seq descending) down to the versions a compaction keeps.</summary>
internal sealed class RetentionIterator : IRowIterator
{
    private readonly IRowIterator _source;
    private readonly ulong _minSeq;
    private readonly bool _bottom;
    private readonly long _nowMs;
    private readonly IMergeOperator? _mergeOperator;
    private readonly Action<ReadOnlyMemory<byte>, Exception>? _onMergeFailure;
    private readonly List<Row> _chain = [];
    private readonly List<Row> _out = [];
    private byte[] _key = new byte[64];
    private int _keyLength = -1;
    private bool _baseDone;
    private bool _sourceAhead;
    private int _next;
    private Row _current;

    /// <param name="source">Every version of every key, key ascending then seq descending (each (key, seq) once).</param>
    /// <param name="minSeq">The lowest seq a reader may still read at (the manifest's recent_snapshot_min_seq).</param>
    /// <param name="bottom">Whether the output is the oldest run (tombstones at the base may go).</param>
    /// <param name="nowMs">Rows with an expiry time at or before this have expired (<see cref="long.MinValue"/>: none has).</param>
    /// <param name="mergeOperator">Folds merge operands at or below <paramref name="minSeq"/>; null keeps them as they are.</param>
    /// <param name="onMergeFailure">Told about an operator that threw (the operands are then kept as they are).</param>
    public RetentionIterator(
        IRowIterator source,
        ulong minSeq,
        bool bottom,
        long nowMs = long.MinValue,
        IMergeOperator? mergeOperator = null,
        Action<ReadOnlyMemory<byte>, Exception>? onMergeFailure = null)
    {
        _source = source;
        _minSeq = minSeq;
        _bottom = bottom;
        _nowMs = nowMs;
        _mergeOperator = mergeOperator;
        _onMergeFailure = onMergeFailure;
    }

    /// <summary>Rows dropped so far (folded operands count as dropped).</summary>
    public long Dropped { get; private set; }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (_next < _out.Count)
            {
                _current = _out[_next++];
                return true;
            }

            _out.Clear();
            _next = 0;
            if (!_sourceAhead && !await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            _sourceAhead = false;
            var row = _source.Current;
            NoteKey(row.Key.Span);
            var expired = row.HasExpiry && row.ExpireTs <= _nowMs;
            if (row.Kind == RowKind.Merge && expired)
            {
                Dropped++;   // invisible to every reader
                continue;
            }

            if (row.Seq > _minSeq || row.Kind != RowKind.Merge || _mergeOperator is null || _baseDone)
            {
                if (Keep(row, expired, out var kept))
                {
                    _current = kept;
                    return true;
                }

                Dropped++;
                continue;
            }

            // A live merge operand at or below minSeq, with an operator: gather the chain down to its base, then fold.
            await GatherChainAsync(row, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        _keyLength = -1;
        _sourceAhead = false;
        _out.Clear();
        _next = 0;
        return _source.SeekAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    // Rows other than folded operands: what is kept of `row` (an expired put as a tombstone), or false to drop it.
    private bool Keep(in Row row, bool expired, out Row kept)
    {
        kept = expired && row.Kind == RowKind.Put ? Tombstone(row) : row;
        if (row.Seq > _minSeq)
        {
            return true;
        }

        if (_baseDone)
        {
            return false;
        }

        // The base (or an older operand under a merge-operand base, without an operator): the rest below it is shadowed.
        _baseDone = kept.Kind != RowKind.Merge;
        return !(_bottom && kept.Kind == RowKind.Delete);
    }

    private async ValueTask GatherChainAsync(Row first, CancellationToken cancellationToken)
    {
        _chain.Clear();
        _chain.Add(first.Detach());
        Row? baseRow = null;
        while (await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = _source.Current;
            if (!IsCurrentKey(row.Key.Span))
            {
                _sourceAhead = true;
                break;
            }

            var expired = row.HasExpiry && row.ExpireTs <= _nowMs;
            if (row.Kind == RowKind.Merge)
            {
                if (expired)
                {
                    Dropped++;
                }
                else
                {
                    _chain.Add(row.Detach());
                }

                continue;
            }

            baseRow = expired && row.Kind == RowKind.Put ? Tombstone(row.Detach()) : row.Detach();
            break;
        }

        _baseDone = true;
        var keyEnds = baseRow is null;
        while (baseRow is not null && await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!IsCurrentKey(_source.Current.Key.Span))
            {
                _sourceAhead = true;
                break;
            }

            Dropped++;   // shadowed by the base
        }

        var dropped = Dropped;
        try
        {
            Fold(baseRow, nothingOlder: keyEnds && _bottom);
        }
        catch (MergeOperatorException e)
        {
            Dropped = dropped;
            _onMergeFailure?.Invoke(_chain[0].Key, e.InnerException ?? e);
            _out.Clear();
            _out.AddRange(_chain);
            if (baseRow is { } b && !(_bottom && b.Kind == RowKind.Delete))
            {
                _out.Add(b);
            }
        }
    }

    // Folds _chain (operands newest first, all at or below minSeq and live) onto `baseRow` into _out, newest first.
    private void Fold(Row? baseRow, bool nothingOlder)
    {
        var key = _chain[0].Key;
        var operands = new List<ReadOnlyMemory<byte>>();
        var start = 0;
        while (start < _chain.Count)
        {
            var end = start + 1;
            while (end < _chain.Count && _chain[end].ExpireTs == _chain[start].ExpireTs)
            {
                end++;
            }

            // Operands [start, end) share an expiry time; the newest gives the group its seq and create time.
            operands.Clear();
            for (var i = end - 1; i >= start; i--)
            {
                operands.Add(_chain[i].Value);
            }

            var newest = _chain[start];
            var oldestGroup = end == _chain.Count;
            var onTombstone = baseRow is { Kind: RowKind.Delete } || (baseRow is null && nothingOlder);
            var onPut = baseRow is { Kind: RowKind.Put } b && b.ExpireTs == newest.ExpireTs;
            if (oldestGroup && (onTombstone || onPut))
            {
                var existing = onPut ? baseRow!.Value.Value : (ReadOnlyMemory<byte>?)null;
                var value = VersionResolver.Apply(_mergeOperator, key, existing, operands);
                _out.Add(new Row(key, newest.Seq, RowKind.Put, value, newest.CreateTs, newest.ExpireTs));
                Dropped += end - start;   // the operands and the base became one row
                return;
            }

            if (end - start == 1)
            {
                _out.Add(newest);
            }
            else
            {
                var value = VersionResolver.Apply(_mergeOperator, key, operands[0], operands.GetRange(1, operands.Count - 1));
                _out.Add(new Row(key, newest.Seq, RowKind.Merge, value, newest.CreateTs, newest.ExpireTs));
                Dropped += end - start - 1;
            }

            start = end;
        }

        if (baseRow is { } kept && !(_bottom && kept.Kind == RowKind.Delete))
        {
            _out.Add(kept);
        }
        else if (baseRow is not null)
        {
            Dropped++;
        }
    }

    private static Row Tombstone(in Row row) => new(row.Key, row.Seq, RowKind.Delete, ReadOnlyMemory<byte>.Empty, row.CreateTs);

    private bool IsCurrentKey(ReadOnlySpan<byte> key) => _keyLength >= 0 && key.SequenceEqual(_key.AsSpan(0, _keyLength));

    private void NoteKey(ReadOnlySpan<byte> key)
    {
        if (IsCurrentKey(key))
        {
            return;
        }

        if (key.Length > _key.Length)
        {
            _key = new byte[Math.Max(key.Length, _key.Length * 2)];
        }

        key.CopyTo(_key);
        _keyLength = key.Length;
        _baseDone = false;
    }
}
