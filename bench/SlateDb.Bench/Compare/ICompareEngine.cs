namespace SlateDb.Bench.Compare;

/// <summary>
/// What the compare workloads need from a key-value engine. One instance is one open database in one folder.
/// Keys and values handed in may be reused by the caller after the call returns (an engine that keeps references
/// copies them).
/// </summary>
internal interface ICompareEngine : IAsyncDisposable
{
    /// <summary>Writes <paramref name="count"/> rows as one batch (one row: a single put).</summary>
    ValueTask WriteAsync(byte[][] keys, ReadOnlyMemory<byte>[] values, int count);

    /// <summary>Writes one row and returns once it is durable (the engine's sync or durable write).</summary>
    ValueTask PutDurableAsync(byte[] key, ReadOnlyMemory<byte> value);

    /// <summary>Whether <paramref name="key"/> is present.</summary>
    ValueTask<bool> GetAsync(byte[] key);

    /// <summary>Reads up to <paramref name="limit"/> rows from <paramref name="start"/> on (all: long.MaxValue); returns the count.</summary>
    ValueTask<long> ScanAsync(byte[]? start, long limit);

    /// <summary>Moves what is in memory to the engine's on-disk tables (a memtable flush) and waits for it.</summary>
    ValueTask FlushAsync();
}

/// <summary>One engine under comparison: its name and how to open it in a folder.</summary>
/// <param name="Name">How the tables name it.</param>
/// <param name="Open">Opens (or reopens) the database in the folder; the flag asks for durable (sync) writes.</param>
/// <param name="Note">What was set beyond the engine's defaults.</param>
/// <param name="DurableWritesSync">Whether a durable write returns only after the data reached stable storage
/// (fsync or an object-store PUT); only such peers count in the ratio of the durable workloads.</param>
internal sealed record EngineKind(
    string Name, Func<string, CompareOptions, bool, ValueTask<ICompareEngine>> Open, string Note, bool DurableWritesSync = true);
