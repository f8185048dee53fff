using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Read;

namespace SlateDb.Transactions;

/// <summary>
/// The buffered writes of a transaction, by key in key order: the last put or delete of each key. Not thread-safe.
/// </summary>
internal sealed class WriteSet
{
    private readonly SortedDictionary<byte[], Write> _writes = new(KeyComparer.Instance);
    private long _encodedBytes;

    /// <summary>The number of keys written.</summary>
    public int Count => _writes.Count;

    /// <summary>The estimated encoded size of the writes (as <see cref="WriteBatch"/> counts it).</summary>
    public long EncodedBytes => _encodedBytes;

    /// <summary>The keys written, in key order.</summary>
    public IEnumerable<byte[]> Keys => _writes.Keys;

    /// <summary>Records a put (or, with a null value, a delete) of <paramref name="key"/>, replacing an earlier write of it.</summary>
    public void Set(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool delete)
    {
        var ownKey = key.ToArray();
        var write = new Write(delete ? RowKind.Delete : RowKind.Put, delete ? [] : value.ToArray());
        var total = _encodedBytes + Memtables.Memtable.EstimateEncodedSize(ownKey.Length, write.Value.Length, hasExpiry: false);
        if (_writes.TryGetValue(ownKey, out var old))
        {
            total -= Memtables.Memtable.EstimateEncodedSize(ownKey.Length, old.Value.Length, hasExpiry: false);
        }

        Limits.ValidateWriteSize(total, Limits.MaxWriteBytes, delete ? "key" : "value");
        _writes[ownKey] = write;
        _encodedBytes = total;
    }

    /// <summary>Whether <paramref name="key"/> was written; <paramref name="value"/> is null for a delete.</summary>
    public bool TryGet(byte[] key, out byte[]? value)
    {
        if (_writes.TryGetValue(key, out var write))
        {
            value = write.Kind == RowKind.Delete ? null : write.Value;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>The writes as one batch.</summary>
    public WriteBatch ToBatch()
    {
        var batch = new WriteBatch();
        foreach (var (key, write) in _writes)
        {
            if (write.Kind == RowKind.Delete)
            {
                batch.Delete(key);
            }
            else
            {
                batch.Put(key, write.Value);
            }
        }

        return batch;
    }

    /// <summary>
    /// An iterator over the writes in <paramref name="range"/> as they are now, each a row at <paramref name="seq"/>
    /// (tombstones for deletes), in key order.
    /// </summary>
    public IRowIterator CreateIterator(KeyRange range, ulong seq)
    {
        var rows = new List<Row>();
        foreach (var (key, write) in _writes)
        {
            if (range.Contains(key))
            {
                rows.Add(new Row(key, seq, write.Kind, write.Value, 0));
            }
        }

        return new Iterator([.. rows]);
    }

    private readonly record struct Write(RowKind Kind, byte[] Value);

    /// <summary>Orders keys as the database does (unsigned bytes, shorter first on a common prefix).</summary>
    private sealed class KeyComparer : IComparer<byte[]>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => KeyCompare.Compare(x, y);
    }

    private sealed class Iterator(Row[] rows) : IRowIterator
    {
        private int _next;

        public Row Current { get; private set; }

        public ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
        {
            if (_next >= rows.Length)
            {
                Current = default;
                return new ValueTask<bool>(false);
            }

            Current = rows[_next++];
            return new ValueTask<bool>(true);
        }

        public ValueTask SeekAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
        {
            var lo = 0;
            var hi = rows.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (KeyCompare.Compare(rows[mid].Key.Span, key.Span) < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            _next = lo;
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
