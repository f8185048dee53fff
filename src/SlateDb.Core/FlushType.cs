namespace SlateDb;

/// <summary>What <c>Db.FlushAsync</c> makes durable.</summary>
public enum FlushType
{
    /// <summary>Every write so far is stored in a WAL object.</summary>
    Wal = 0,

    /// <summary>Every write so far is stored in a WAL object and the memtable is flushed to an L0 SST published in the manifest.</summary>
    MemTable = 1,
}
