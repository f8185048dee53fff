using SlateDb.Format;

namespace SlateDb.Read;

/// <summary>
/// Turns a stream of every visible version (key ascending, seq descending) into one resolved row per key that has a
/// value: a put holding the value <see cref="VersionResolver"/> gives the versions (merge operands applied, expired rows
/// hidden); keys that resolve to nothing are skipped. Scans read through it.
/// </summary>
/// <remarks>
/// <para>A key whose newest version is a live put costs no allocation (and, over a <see cref="MergeIterator"/>, which
/// tells where each key's versions start, no key copy either): that row is yielded as is and the older versions are skipped. Only a key whose newest version is a merge operand (or an expired row) reads further
/// back, copying its operands.</para>
/// <para><see cref="Current"/> is valid until the next move, as for every <see cref="IRowIterator"/>. Disposing it
/// disposes the source. Not thread-safe.</para>
/// </remarks>
internal sealed class ResolvingIterator : IRowIterator
{
    private readonly IRowIterator _source;
    private readonly MergeIterator? _merge;   // the source when it is a merge: it tells where a key's versions start
    private readonly IMergeOperator? _mergeOperator;
    private VersionResolver? _resolver;   // made for the first key whose newest version is a merge operand
    private readonly long _nowMs;
    private byte[] _key = new byte[64];
    private int _keyLength = -1;
    private bool _sourceAhead;   // the source is on the first row of a key not yet looked at
    private bool _ended;
    private Row _current;

    /// <param name="source">Every visible version, key ascending then seq descending (each (key, seq) once); owned.</param>
    /// <param name="resolution">The merge operator and the clock.</param>
    public ResolvingIterator(IRowIterator source, ReadResolution resolution)
    {
        _source = source;
        _merge = source as MergeIterator;
        _nowMs = resolution.NowMs;
        _mergeOperator = resolution.MergeOperator;
    }

    private enum Step
    {
        Yield,
        Skip,
        Chain,
    }

    /// <inheritdoc />
    public Row Current => _current;

    /// <inheritdoc />
    /// <remarks>Completes synchronously while the source does and no merge operand needs older versions.</remarks>
    public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (!_sourceAhead)
            {
                if (_ended)
                {
                    return new ValueTask<bool>(false);
                }

                var moved = _source.MoveNextAsync(cancellationToken);
                if (!moved.IsCompletedSuccessfully)
                {
                    return MoveNextSlowAsync(moved, chain: false, cancellationToken);
                }

#pragma warning disable VSTHRD103 // Result is read only after IsCompletedSuccessfully: it never blocks.
                if (!moved.Result)
#pragma warning restore VSTHRD103
                {
                    _ended = true;
                    return new ValueTask<bool>(false);
                }
            }

            _sourceAhead = false;
            switch (Decide())
            {
                case Step.Yield:
                    return new ValueTask<bool>(true);
                case Step.Chain:
                    return MoveNextSlowAsync(null, chain: true, cancellationToken);
            }
        }
    }

    // The rest of a move once it has to wait: for a source call that did not complete at once (`pending`), or to read
    // the older versions of a key whose newest version is a merge operand (`chain`). A loop, not a recursion, so a long
    // run of keys without a value costs no stack.
    private async ValueTask<bool> MoveNextSlowAsync(ValueTask<bool>? pending, bool chain, CancellationToken cancellationToken)
    {
        if (pending is { } move)
        {
            if (!await move.ConfigureAwait(false))
            {
                _ended = true;
                return false;
            }

            _sourceAhead = true;
        }

        while (true)
        {
            if (chain)
            {
                if (await ResolveChainAsync(cancellationToken).ConfigureAwait(false))
                {
                    return true;
                }

                chain = false;
                continue;
            }

            if (!_sourceAhead && (_ended || !await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false)))
            {
                _ended = true;
                return false;
            }

            _sourceAhead = false;
            switch (Decide())
            {
                case Step.Yield:
                    return true;
                case Step.Chain:
                    chain = true;
                    break;
            }
        }
    }

    // Looks at the source's current row: yields it (a live put of a new key), skips it, or needs its older versions.
    private Step Decide()
    {
        var row = _source.Current;
        if (!StartsKey(row.Key.Span))
        {
            return Step.Skip;   // an older version of a key already resolved
        }

        if (row.Kind == RowKind.Put && !(row.HasExpiry && row.IsExpiredAt(_nowMs)))
        {
            _current = row;
            return Step.Yield;
        }

        if (row.Kind != RowKind.Merge)
        {
            return Step.Skip;   // a tombstone or an expired put: no value
        }

        if (_merge is not null)
        {
            RememberKey(row.Key.Span);   // the key of the resolved value
        }

        return Step.Chain;
    }

    // Whether the source's current row, of key `key`, is the newest version of its key. A merge source says so itself;
    // for any other source the key is compared with the last one's, and remembered.
    private bool StartsKey(ReadOnlySpan<byte> key)
    {
        if (_merge is not null)
        {
            return _merge.CurrentStartsKey;
        }

        if (IsCurrentKey(key))
        {
            return false;
        }

        RememberKey(key);
        return true;
    }

    // Feeds the current row (an operand) and the key's older versions to the resolver; true when the key has a value.
    private async ValueTask<bool> ResolveChainAsync(CancellationToken cancellationToken)
    {
        var first = _source.Current;
        var seq = first.Seq;
        var createTs = first.CreateTs;
        var resolver = _resolver ??= new VersionResolver(_mergeOperator, _nowMs);
        resolver.Reset();
        resolver.Add(first, copy: true);
        while (!resolver.IsSettled)
        {
            if (!await _source.MoveNextAsync(cancellationToken).ConfigureAwait(false))
            {
                _ended = true;
                break;
            }

            var older = _source.Current;
            if (_merge is not null ? _merge.CurrentStartsKey : !IsCurrentKey(older.Key.Span))
            {
                _sourceAhead = true;
                break;
            }

            resolver.Add(older, copy: true);
        }

        var key = _key.AsMemory(0, _keyLength);
        if (resolver.Result(key) is not { } value)
        {
            return false;
        }

        _current = new Row(key, seq, RowKind.Put, value, createTs);
        return true;
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        _keyLength = -1;
        _sourceAhead = false;
        _ended = false;
        _current = default;
        return _source.SeekAsync(key, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private bool IsCurrentKey(ReadOnlySpan<byte> key) => _keyLength >= 0 && key.SequenceEqual(_key.AsSpan(0, _keyLength));

    private void RememberKey(ReadOnlySpan<byte> key)
    {
        if (key.Length > _key.Length)
        {
            _key = new byte[Math.Max(key.Length, _key.Length * 2)];
        }

        key.CopyTo(_key);
        _keyLength = key.Length;
    }
}
