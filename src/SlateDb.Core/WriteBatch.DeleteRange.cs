using SlateDb.Format;
using SlateDb.Memtables;
using SlateDb.Read;

namespace SlateDb;

public sealed partial class WriteBatch
{
    /// <summary>
    /// Adds a delete of every key in <paramref name="range"/>: one range tombstone, whatever the range holds (the covered
    /// keys are never read or listed). Operations added to this batch earlier on keys in the range are dropped; those
    /// added later win over the range delete.
    /// </summary>
    /// <param name="range">The keys to delete; <see cref="KeyRange.All"/>, <see cref="KeyRange.From(ReadOnlyMemory{byte})"/>,
    /// <see cref="KeyRange.Between(ReadOnlyMemory{byte}, ReadOnlyMemory{byte})"/> and <see cref="KeyRange.Prefix(ReadOnlyMemory{byte})"/> all work.</param>
    /// <exception cref="ArgumentException">
    /// The range is empty (its end is not past its start; the message names both bounds), a bound is longer than 65 535
    /// bytes, or the batch would grow past 256 MiB encoded.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The batch was disposed.</exception>
    public WriteBatch DeleteRange(KeyRange range)
    {
        var (start, end) = RangeTombstone.Encode(range, nameof(range));
        var offset = Reserve(start.Length, end.Length);
        start.Span.CopyTo(_data.AsSpan(offset));
        end.Span.CopyTo(_data.AsSpan(offset + start.Length));
        var tombstone = new RangeTombstone(
            new ReadOnlyMemory<byte>(_data, offset, start.Length), end.IsEmpty ? RangeTombstone.NoEnd : new ReadOnlyMemory<byte>(_data, offset + start.Length, end.Length), 0);
        for (var i = 0; i < _entryCount; i++)
        {
            ref var other = ref _entries[i];
            if (!other.Superseded && other.Kind != RowKind.RangeDelete && tombstone.Covers(_data.AsSpan(other.Offset, other.KeyLength)))
            {
                other.Superseded = true;
                _liveCount--;
                _liveBytes -= other.KeyLength + other.ValueLength;
                _encodedBytes -= Memtable.EstimateEncodedSize(other.KeyLength, other.ValueLength, hasExpiry: false);
            }
        }

        AddEntry(offset, start.Length, end.Length, RowKind.RangeDelete);
        return this;
    }
}
