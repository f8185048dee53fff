using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Compaction;

// What a compaction keeps of each key's versions.
//
// Invariants
//  1. Every version with seq > minSeq is kept: a reader (snapshot) at any seq above minSeq finds what it found before.
//  2. Of the versions at or below minSeq, the newest (the "base") is kept, and when it is a merge operand, older
//     versions down to and including the first put or tombstone (operands fold onto it). Older ones are shadowed for
//     every reader and dropped.
//  3. A tombstone is dropped only as the base of a bottom output (no older run can hold a version it hides). A
//     tombstone above minSeq is kept even there: a reader below it still needs the version it shadows.
//  4. Rows pass through unchanged (kind, value, create and expire timestamps): retention never rewrites a row.

/// <summary>Filters a merge of every version (key ascending, seq descending) down to the versions a compaction keeps.</summary>
internal sealed class RetentionIterator : IRowIterator
{
    private readonly IRowIterator _source;
    private readonly ulong _minSeq;
    private readonly bool _bottom;
    private byte[] _key = new byte[64];
    private int _keyLength = -1;
    private bool _baseDone;

    /// <param name="source">Every version of every key, key ascending then seq descending (each (key, seq) once).</param>
    /// <param name="minSeq">The lowest seq a reader may still read at (the manifest's recent_snapshot_min_seq).</param>
    /// <param name="bottom">Whether the output is the oldest run (tombstones at the base may go).</param>
    public RetentionIterator(IRowIterator source, ulong minSeq, bool bottom)
    {
        _source = source;
        _minSeq = minSeq;
        _bottom = bottom;
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
            if (Keep(_source.Current))
            {
                return true;
            }

            Dropped++;
        }

        return false;
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        _keyLength = -1;
        return _source.SeekAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private bool Keep(in Row row)
    {
        var key = row.Key.Span;
        if (_keyLength < 0 || !key.SequenceEqual(_key.AsSpan(0, _keyLength)))
        {
            if (key.Length > _key.Length)
            {
                _key = new byte[Math.Max(key.Length, _key.Length * 2)];
            }

            key.CopyTo(_key);
            _keyLength = key.Length;
            _baseDone = false;
        }

        if (row.Seq > _minSeq)
        {
            return true;
        }

        if (_baseDone)
        {
            return false;
        }

        // The base (or an older operand under a merge-operand base): the rest below it is shadowed.
        _baseDone = row.Kind != RowKind.Merge;
        return !(_bottom && row.Kind == RowKind.Delete);
    }
}
