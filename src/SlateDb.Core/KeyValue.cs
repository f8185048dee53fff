namespace SlateDb;

/// <summary>One key and its value as a scan returns it. The memory belongs to the caller.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
/// <param name="Seq">The sequence number of the write that set the value.</param>
public readonly record struct KeyValue(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value, ulong Seq);
