namespace SlateDb.Format;

/// <summary>What a row records about its key.</summary>
internal enum RowKind : byte
{
    /// <summary>The key has this value.</summary>
    Put = 0,

    /// <summary>The key was deleted (a tombstone; no value).</summary>
    Delete = 1,

    /// <summary>A merge operand to fold into the key's value.</summary>
    Merge = 2,

    /// <summary>
    /// A range tombstone (WAL and memtable only): the key is the range's inclusive start, the value its exclusive end
    /// (empty: unbounded). Compacted SSTs keep range tombstones in their own block, never as rows.
    /// </summary>
    RangeDelete = 3,
}
