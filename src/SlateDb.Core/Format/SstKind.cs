namespace SlateDb.Format;

/// <summary>What an SST holds, recorded in its properties.</summary>
internal enum SstKind : byte
{
    /// <summary>An L0 or sorted-run SST: rows sorted by (key ascending, seq descending), with an optional bloom filter.</summary>
    Compacted = 0,

    /// <summary>A WAL SST: rows in the order they were written (sequence order, keys in any order), no filter.</summary>
    Wal = 1,
}
