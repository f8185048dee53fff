using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Read;

namespace SlateDb.Memtable;

/// <summary>
/// The in-memory table that receives every write: rows ordered by (key ascending, seq descending) in a
/// <see cref="SkipList"/> over arena memory.
/// </summary>
/// <remarks>
/// <para><b>Threads.</b> One writer (the write loop) calls <see cref="Add"/> and <see cref="Freeze"/>; any number of
/// readers call <see cref="TryGet"/>, <see cref="CreateIterator"/> and the statistics concurrently, without locks.
/// Readers see a sorted, consistent view: every row they see is fully written; a row added while a read runs may or
/// may not be seen by it.</para>
/// <para><b>Memory.</b> Keys and values are copied into arena chunks that are never reused while the table is
/// referenced, so a <see cref="Row"/> handed out by <see cref="TryGet"/> or an iterator stays valid for the table's
/// lifetime (longer than the <see cref="IRowIterator"/> contract promises).</para>
/// <para><b>Size.</b> <see cref="SizeBytes"/> estimates the encoded size of the rows in an SST (see
/// <see cref="EstimateEncodedSize"/>), which is what the writer compares with the L0 SST size to decide when to
/// freeze.</para>
/// </remarks>
internal sealed class Memtable
{
    private readonly SkipList _list;
    private long _sizeBytes;
    private long _count;
    private ulong _minSeq;
    private ulong _maxSeq;
    private long _maxCreateTs = long.MinValue;
    private volatile bool _frozen;

    /// <summary>Creates an empty memtable whose keys and values go into arena chunks of <paramref name="chunkSizeBytes"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The chunk size is below 64 bytes.</exception>
    public Memtable(int chunkSizeBytes = 1 << 20)
    {
        _list = new SkipList(chunkSizeBytes);
    }

    /// <summary>The estimated encoded (SST) size of the rows, in bytes.</summary>
    public long SizeBytes => Volatile.Read(ref _sizeBytes);

    /// <summary>The bytes the table holds in memory (arena, nodes and links).</summary>
    public long AllocatedBytes => _list.AllocatedBytes;

    /// <summary>The number of rows (every version counts).</summary>
    public long Count => Volatile.Read(ref _count);

    /// <summary>Whether the table holds no rows.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The smallest seq in the table; 0 when empty.</summary>
    public ulong MinSeq => Volatile.Read(ref _minSeq);

    /// <summary>The largest seq in the table; 0 when empty.</summary>
    public ulong MaxSeq => Volatile.Read(ref _maxSeq);

    /// <summary>The largest creation time of any row (ms since the Unix epoch); <see cref="long.MinValue"/> when empty.</summary>
    public long MaxCreateTs => Volatile.Read(ref _maxCreateTs);

    /// <summary>Whether <see cref="Freeze"/> was called; a frozen table rejects <see cref="Add"/>.</summary>
    public bool IsFrozen => _frozen;

    /// <summary>
    /// Estimates the bytes <paramref name="row"/> takes in an SST data block: key and value, the varint lengths
    /// (shared, unshared, value), seq (8), flags (1), create time (8) and expiry time (8, only when set). Key prefix
    /// sharing and block trailers are ignored, so the estimate errs on the large side.
    /// </summary>
    public static long EstimateEncodedSize(in Row row)
        => row.Key.Length + row.Value.Length
           + 1 + VarintLength((uint)row.Key.Length) + VarintLength((uint)row.Value.Length)
           + sizeof(ulong) + 1 + sizeof(long)
           + (row.HasExpiry ? sizeof(long) : 0);

    /// <summary>
    /// Copies <paramref name="row"/> into the table. Single writer only.
    /// </summary>
    /// <exception cref="ArgumentException">The key is empty or too long, or the value is too long.</exception>
    /// <exception cref="InvalidOperationException">The table is frozen, or already holds a row with this key and seq
    /// (the write loop never adds one twice, so this signals a bug).</exception>
    public void Add(in Row row)
    {
        var key = row.Key.Span;
        Limits.ValidateKey(key, "row.Key");
        Limits.ValidateValue(row.Value.Span, "row.Value");
        if (_frozen)
        {
            throw new InvalidOperationException(
                $"The memtable is frozen; the row {Convert.ToHexString(key)}@{row.Seq} cannot be added.");
        }

        if (!_list.Insert(row))
        {
            throw new InvalidOperationException(
                $"The memtable already holds key {Convert.ToHexString(key)} at seq {row.Seq}; a (key, seq) pair is added once.");
        }

        var count = _count;
        Volatile.Write(ref _sizeBytes, _sizeBytes + EstimateEncodedSize(row));
        if (count == 0 || row.Seq < _minSeq)
        {
            Volatile.Write(ref _minSeq, row.Seq);
        }

        if (row.Seq > _maxSeq)
        {
            Volatile.Write(ref _maxSeq, row.Seq);
        }

        if (row.CreateTs > _maxCreateTs)
        {
            Volatile.Write(ref _maxCreateTs, row.CreateTs);
        }

        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>
    /// Finds the newest version of <paramref name="key"/> whose seq is at most <paramref name="maxSeq"/>, tombstones
    /// included. The row points into the arena and stays valid for the table's lifetime.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, ulong maxSeq, out Row row)
    {
        var node = _list.FindGreaterOrEqual(key, maxSeq);
        if (node != 0 && _list.GetKey(node).SequenceEqual(key))
        {
            row = _list.GetRow(node);
            return true;
        }

        row = default;
        return false;
    }

    /// <summary>
    /// An iterator over every version of every key in <paramref name="range"/>, in (key ascending, seq descending)
    /// order. It may run while the writer adds rows.
    /// </summary>
    public IRowIterator CreateIterator(KeyRange range)
    {
        ArgumentNullException.ThrowIfNull(range);
        return new MemtableIterator(_list, range);
    }

    /// <summary>
    /// Makes the table immutable and returns the immutable view, stamped with <paramref name="lastWalId"/> (the last
    /// durably flushed WAL id at the moment of freezing). Single writer only.
    /// </summary>
    /// <exception cref="InvalidOperationException">The table is already frozen.</exception>
    public ImmutableMemtable Freeze(ulong lastWalId)
    {
        if (_frozen)
        {
            throw new InvalidOperationException("The memtable is already frozen.");
        }

        _frozen = true;
        return new ImmutableMemtable(this, lastWalId);
    }

    private static int VarintLength(uint value) => value < 1u << 7 ? 1 : value < 1u << 14 ? 2 : value < 1u << 21 ? 3 : value < 1u << 28 ? 4 : 5;
}
