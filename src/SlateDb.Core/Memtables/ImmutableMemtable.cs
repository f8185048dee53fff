using SlateDb.Format;
using SlateDb.Read;

namespace SlateDb.Memtables;

/// <summary>
/// A frozen <see cref="Memtable"/> waiting to be written to L0, with the WAL id stamp the database gave it when it
/// froze. Safe to read from any thread.
/// </summary>
internal sealed class ImmutableMemtable
{
    internal ImmutableMemtable(Memtable table, ulong lastWalId)
    {
        Table = table;
        LastWalId = lastWalId;
    }

    /// <summary>The frozen table.</summary>
    public Memtable Table { get; }

    /// <summary>
    /// The last WAL id sealed (assigned, not necessarily stored yet) when the table froze: every row of the table is in a
    /// WAL object with an id up to it. The flusher publishes the table only once the WAL is durable through this id,
    /// and it becomes the replay watermark once the table is in L0.
    /// </summary>
    public ulong LastWalId { get; }

    /// <summary>The estimated encoded (SST) size of the rows.</summary>
    public long SizeBytes => Table.SizeBytes;

    /// <summary>The number of rows.</summary>
    public long Count => Table.Count;

    /// <summary>Whether the table holds no rows.</summary>
    public bool IsEmpty => Table.IsEmpty;

    /// <summary>The smallest seq; 0 when empty.</summary>
    public ulong MinSeq => Table.MinSeq;

    /// <summary>The largest seq; 0 when empty.</summary>
    public ulong MaxSeq => Table.MaxSeq;

    /// <summary>The largest creation time; <see cref="long.MinValue"/> when empty.</summary>
    public long MaxCreateTs => Table.MaxCreateTs;

    /// <inheritdoc cref="Memtable.TryGet"/>
    public bool TryGet(ReadOnlySpan<byte> key, ulong maxSeq, out Row row) => Table.TryGet(key, maxSeq, out row);

    /// <inheritdoc cref="Memtable.RangeTombstones"/>
    public RangeTombstoneList RangeTombstones => Table.RangeTombstones;

    /// <inheritdoc cref="Memtable.CreateIterator"/>
    public IRowIterator CreateIterator(KeyRange range) => Table.CreateIterator(range);
}
