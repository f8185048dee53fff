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
}
