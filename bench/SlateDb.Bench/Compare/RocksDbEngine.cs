using RocksDbSharp;

namespace SlateDb.Bench.Compare;

/// <summary>
/// RocksDB (the native library of the RocksDB NuGet package): default options plus an LRU block cache of the
/// same budget and a 10-bit bloom filter per key (SlateDb's default), so point reads compare like with like.
/// </summary>
internal sealed class RocksDbEngine : ICompareEngine
{
    private readonly RocksDb _db;
    private readonly RocksDbSharp.WriteOptions _write;

    private RocksDbEngine(RocksDb db, bool sync)
    {
        _db = db;
        _write = new RocksDbSharp.WriteOptions().SetSync(sync);
    }

    public static EngineKind Kind { get; } = new(
        "RocksDB",
        (dir, o, sync) => ValueTask.FromResult<ICompareEngine>(Open(dir, o, sync)),
        "default options, LRU block cache = --cache-mb, bloom 10 bits/key; durable writes: WriteOptions.sync");

    private static RocksDbEngine Open(string dir, CompareOptions o, bool sync)
    {
        var table = new BlockBasedTableOptions()
            .SetBlockCache(RocksDbSharp.Cache.CreateLru((ulong)o.CacheBytes))
            .SetFilterPolicy(BloomFilterPolicy.Create(10, false));
        var options = new DbOptions().SetCreateIfMissing(true).SetBlockBasedTableFactory(table);
        return new RocksDbEngine(RocksDb.Open(options, dir), sync);
    }

    public ValueTask WriteAsync(byte[][] keys, ReadOnlyMemory<byte>[] values, int count)
    {
        if (count == 1)
        {
            _db.Put(keys[0], values[0].Span, writeOptions: _write);
            return ValueTask.CompletedTask;
        }

        using var batch = new RocksDbSharp.WriteBatch();
        for (var i = 0; i < count; i++)
        {
            batch.Put(keys[i], values[i].Span);
        }

        _db.Write(batch, _write);
        return ValueTask.CompletedTask;
    }

    public ValueTask PutDurableAsync(byte[] key, ReadOnlyMemory<byte> value)
    {
        _db.Put(key, value.Span, writeOptions: _write);
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> GetAsync(byte[] key) => ValueTask.FromResult(_db.Get(key) is not null);

    public ValueTask<long> ScanAsync(byte[]? start, long limit)
    {
        long rows = 0;
        using var it = _db.NewIterator();
        _ = start is null ? it.SeekToFirst() : it.Seek(start);
        while (rows < limit && it.Valid())
        {
            _ = it.GetKeySpan();
            _ = it.GetValueSpan();
            rows++;
            it.Next();
        }

        return ValueTask.FromResult(rows);
    }

    public ValueTask FlushAsync()
    {
        _db.Flush(new FlushOptions().SetWaitForFlush(true));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _db.Dispose();
        return ValueTask.CompletedTask;
    }
}
