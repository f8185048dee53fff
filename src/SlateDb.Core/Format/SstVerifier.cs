namespace SlateDb.Format;

/// <summary>Checks the rows of an SST, block by block, against the ordering rules and its properties.</summary>
internal sealed class SstVerifier
{
    private readonly SstReader _reader;
    private readonly BlockCursor _cursor = new();
    private byte[] _previousKey = [];
    private byte[]? _smallest;
    private byte[]? _largest;
    private ulong _previousSeq;
    private ulong _minSeq = ulong.MaxValue;
    private ulong _maxSeq;
    private long _rows;

    public SstVerifier(SstReader reader)
    {
        _reader = reader;
    }

    /// <summary>Checks the next block (blocks come in order).</summary>
    public void Check(DataBlock block)
    {
        var compacted = _reader.Info.Kind == SstKind.Compacted;
        _cursor.Reset(block);
        while (_cursor.MoveNext())
        {
            var key = _cursor.CurrentKey;
            var seq = _cursor.Current.Seq;
            if (compacted && _rows > 0)
            {
                var order = key.SequenceCompareTo(_previousKey);
                if (order < 0 || (order == 0 && seq >= _previousSeq))
                {
                    throw block.Corrupt($"row {SstFormat.FormatKey(key)}@{seq} is out of order after {SstFormat.FormatKey(_previousKey)}@{_previousSeq}");
                }
            }

            if (compacted && _cursor.Current.Kind == RowKind.RangeDelete)
            {
                throw block.Corrupt($"row {SstFormat.FormatKey(key)}@{seq} is a range delete; a compacted SST keeps those in its range-tombstone block");
            }

            if (compacted && _reader.Index.Key(block.Index).SequenceCompareTo(key) < 0)
            {
                throw block.Corrupt($"row {SstFormat.FormatKey(key)} lies past the block's index key");
            }

            if (!key.SequenceEqual(_previousKey))
            {
                _previousKey = key.ToArray();
                if (_smallest is null || key.SequenceCompareTo(_smallest) < 0)
                {
                    _smallest = _previousKey;
                }

                if (_largest is null || key.SequenceCompareTo(_largest) > 0)
                {
                    _largest = _previousKey;
                }
            }

            _previousSeq = seq;
            _minSeq = Math.Min(_minSeq, seq);
            _maxSeq = Math.Max(_maxSeq, seq);
            _rows++;
        }
    }

    /// <summary>Checks the totals against the properties (range tombstones, checked when the reader opened, count too).</summary>
    public void Finish()
    {
        var info = _reader.Info;
        var tombstones = _reader.RangeTombstones;
        if (!tombstones.IsEmpty)
        {
            _minSeq = Math.Min(_minSeq, tombstones.MinSeq);
            _maxSeq = Math.Max(_maxSeq, tombstones.MaxSeq);
            _smallest = _smallest is null || tombstones.FirstStart.Span.SequenceCompareTo(_smallest) < 0 ? tombstones.FirstStart.ToArray() : _smallest;
            _largest = _largest is null || tombstones.LastStart.Span.SequenceCompareTo(_largest) > 0 ? tombstones.LastStart.ToArray() : _largest;
        }

        var agrees = _rows == info.RowCount
                     && ((_rows == 0 && tombstones.IsEmpty) || (_minSeq == info.MinSeq && _maxSeq == info.MaxSeq
                                        && info.FirstKey.Span.SequenceEqual(_smallest) && info.LastKey.Span.SequenceEqual(_largest)));
        if (!agrees)
        {
            throw new CorruptionException(
                _reader.Path,
                $"properties: the blocks hold {_rows} rows with seqs {_minSeq}..{_maxSeq}, but the properties say {info.RowCount} rows with seqs {info.MinSeq}..{info.MaxSeq} (or the first/last key differ)");
        }
    }
}
