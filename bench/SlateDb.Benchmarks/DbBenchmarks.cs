using BenchmarkDotNet.Attributes;
using SlateDb.ObjectStore;

namespace SlateDb.Benchmarks;

/// <summary>
/// The database's own overhead on its hot paths, on an in-memory store: point lookups served by the memtable and by
/// an L0 SST whose blocks are cached, and non-durable batched puts (the write loop, WAL buffer and memtable insert).
/// Targets (2 cores): lookups ≥ 500 k/s, puts in batches of 100 ≥ 1 M rows/s. 16-byte keys, 100-byte values.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class DbBenchmarks
{
    private const int Keys = 100_000;
    private const int Lookups = 1_000;
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private readonly byte[] _value = new byte[100];
    private byte[][] _keys = [];
    private Db _inMemtable = null!;
    private Db _inL0 = null!;
    private Db _writes = null!;
    private WriteBatch _batch = null!;
    private long _next;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var random = new Random(7);
        random.NextBytes(_value);
        _keys = new byte[Keys][];
        for (var i = 0; i < Keys; i++)
        {
            _keys[i] = System.Text.Encoding.ASCII.GetBytes($"{random.NextInt64(1L << 40):D16}");
        }

        _inMemtable = await FilledAsync(flush: false);
        _inL0 = await FilledAsync(flush: true);
        foreach (var key in _keys)
        {
            _ = await _inL0.GetAsync(key);   // warm the block cache
        }

        _writes = await Db.OpenAsync("bench", new InMemoryObjectStore());
        _batch = new WriteBatch();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _inMemtable.DisposeAsync();
        await _inL0.DisposeAsync();
        await _writes.DisposeAsync();
        _batch.Dispose();
    }

    /// <summary>Gets of keys in the active memtable (per lookup: divide by <see cref="Lookups"/>).</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public async Task<int> GetFromMemtable() => await GetManyAsync(_inMemtable);

    /// <summary>Gets of keys in an L0 SST, blocks in the cache.</summary>
    [Benchmark(OperationsPerInvoke = Lookups)]
    public async Task<int> GetFromL0Cached() => await GetManyAsync(_inL0);

    /// <summary>One batch of 100 puts, not awaiting durability (per row).</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public async Task<ulong> PutBatchOf100()
    {
        _batch.Clear();
        for (var i = 0; i < 100; i++)
        {
            _batch.Put(_keys[(int)(_next++ % Keys)], _value);
        }

        return (await _writes.WriteAsync(_batch, NoWait)).Seq;
    }

    private async Task<int> GetManyAsync(Db db)
    {
        var found = 0;
        for (var i = 0; i < Lookups; i++)
        {
            if (await db.GetAsync(_keys[(i * 7919) % Keys]) is not null)
            {
                found++;
            }
        }

        return found;
    }

    private async Task<Db> FilledAsync(bool flush)
    {
        var db = await Db.Builder("bench", new InMemoryObjectStore()).WithSettings(new Settings { L0SstSizeBytes = 256L << 20 }).BuildAsync();
        using var batch = new WriteBatch();
        foreach (var key in _keys)
        {
            batch.Put(key, _value);
            if (batch.Count == 100)
            {
                await db.WriteAsync(batch, NoWait);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await db.WriteAsync(batch, NoWait);
        }

        await db.FlushAsync(flush ? FlushType.MemTable : FlushType.Wal);
        return db;
    }
}
