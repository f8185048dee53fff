using SlateDb.Infrastructure;

namespace SlateDb.Bench;

/// <summary>
/// The workloads. Each opens a fresh database, times only its measured phase (setup such as the fill before
/// a read benchmark is not timed), and reports the object-store requests of the measured phase (fills also
/// count their final WAL flush). Latency is taken with <see cref="TimeProvider.GetTimestamp"/>.
/// </summary>
internal static class Workloads
{
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>fillseq / fillrandom: puts (single or batched) that do not await durability.</summary>
    public static async Task<BenchResult> FillAsync(BenchOptions o, bool sequential)
    {
        var num = o.EffectiveNum;
        var writers = o.Writers ?? 1;
        var name = $"{(sequential ? "fillseq" : "fillrandom")} batch {o.Batch}" + (writers > 1 ? $", {writers} writers" : "");
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, sequential ? "fillseq" : "fillrandom");
        var latencies = new Latencies((int)(num / o.Batch) + writers);
        long next = 0;

        var start = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new DbRandom((ulong)(o.Seed * 7919 + w));
            var key = new byte[keys.KeySize];
            while (true)
            {
                var first = Interlocked.Add(ref next, o.Batch) - o.Batch;
                if (first >= num)
                {
                    return;
                }

                var count = (int)Math.Min(o.Batch, num - first);
                var t0 = Clock.GetTimestamp();
                if (count == 1 && o.Batch == 1)
                {
                    keys.Key(sequential ? first : Below(random, num), key);
                    await run.Db.PutAsync(key, keys.Value(first), NoWait);
                }
                else
                {
                    using var batch = new WriteBatch();
                    for (var i = first; i < first + count; i++)
                    {
                        keys.Key(sequential ? i : Below(random, num), key);
                        batch.Put(key, keys.Value(i).Span);
                    }

                    await run.Db.WriteAsync(batch, NoWait);
                }

                latencies.Record(t0, Clock.GetTimestamp());
            }
        })));
        var elapsed = Clock.GetElapsedTime(start);
        await run.Db.FlushAsync();

        return new BenchResult(name, num, elapsed, latencies, o.Batch == 1 ? "per put" : "per batch", num * (o.KeySize + o.ValueSize),
            StoreCounters.From(run.Store), $"data in {run.Where}");
    }

    /// <summary>durable: concurrent writers, each put awaiting its WAL object (group commit).</summary>
    public static async Task<BenchResult> DurableAsync(BenchOptions o)
    {
        var writers = o.Writers ?? 64;
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, "durable");
        var latencies = new Latencies((int)num);
        long issued = 0;

        var start = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(o.Seed * 7919 + w);
            var key = new byte[keys.KeySize];
            while (Interlocked.Increment(ref issued) <= num)
            {
                keys.Key(random.NextInt64(1_000_000_000), key);
                var t0 = Clock.GetTimestamp();
                await run.Db.PutAsync(key, keys.Value(w));
                latencies.Record(t0, Clock.GetTimestamp());
            }
        })));
        var elapsed = Clock.GetElapsedTime(start);

        var counters = StoreCounters.From(run.Store);
        var note = $"group commit: {num / (double)Math.Max(1, counters.Puts):0.0} durable puts per object-store PUT " +
                   $"({counters.Puts} PUTs, those of the open included); flush interval {o.FlushInterval.TotalMilliseconds:0} ms";
        return new BenchResult($"durable, {writers} writers", num, elapsed, latencies, "per put (until durable)",
            num * (o.KeySize + o.ValueSize), counters, note);
    }

    /// <summary>readrandom: random gets of existing keys after a fill, a memtable flush and one warm-up pass.</summary>
    public static async Task<BenchResult> ReadRandomAsync(BenchOptions o)
    {
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, "readrandom");
        await FillForReadingAsync(run, keys, num);
        for (var i = 0; i < num; i++)
        {
            _ = await run.Db.GetAsync(keys.Key(i)) ?? throw new InvalidOperationException($"The key {i} is missing after the fill.");
        }

        run.Store.Reset();
        var latencies = new Latencies((int)num);
        long issued = 0;
        long misses = 0;
        var start = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, o.Readers).Select(r => Task.Run(async () =>
        {
            var random = new Random(o.Seed * 7919 + r);
            var key = new byte[keys.KeySize];
            while (Interlocked.Increment(ref issued) <= num)
            {
                keys.Key(random.NextInt64(num), key);
                var t0 = Clock.GetTimestamp();
                var value = await run.Db.GetAsync(key);
                latencies.Record(t0, Clock.GetTimestamp());
                if (value is null)
                {
                    Interlocked.Increment(ref misses);
                }
            }
        })));
        var elapsed = Clock.GetElapsedTime(start);

        return new BenchResult($"readrandom, {o.Readers} reader{(o.Readers > 1 ? "s" : "")}", num, elapsed, latencies, "per get", 0,
            StoreCounters.From(run.Store), $"{num:N0} keys in L0 after a memtable flush, warmed into the block cache; {misses} misses");
    }

    /// <summary>scan: one full scan after a fill and a memtable flush.</summary>
    public static async Task<BenchResult> ScanAsync(BenchOptions o)
    {
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, "scan");
        await FillForReadingAsync(run, keys, num);
        run.Store.Reset();

        var latencies = new Latencies((int)num);
        long rows = 0;
        var start = Clock.GetTimestamp();
        var t0 = start;
        await foreach (var kv in run.Db.ScanAsync(KeyRange.All))
        {
            var t1 = Clock.GetTimestamp();
            latencies.Record(t0, t1);
            t0 = t1;
            rows++;
        }

        var elapsed = Clock.GetElapsedTime(start);
        if (rows != num)
        {
            throw new InvalidOperationException($"The scan returned {rows} rows; the fill wrote {num} keys.");
        }

        return new BenchResult("scan", rows, elapsed, latencies, "per row", 0, StoreCounters.From(run.Store),
            $"{num:N0} keys in L0 after a memtable flush (the scan reads them from the store)");
    }

    // A uniform number in [0, bound) from a fast seeded generator (the bench's own cost stays small).
    private static long Below(DbRandom random, long bound) => (long)Math.BigMul(random.NextUInt64(), (ulong)bound, out _);

    // Fills keys 0..num-1 in order with batches of 100, then flushes the memtable to L0.
    private static async Task FillForReadingAsync(BenchRun run, KeySource keys, long num)
    {
        var key = new byte[keys.KeySize];
        for (long first = 0; first < num; first += 100)
        {
            using var batch = new WriteBatch();
            for (var i = first; i < Math.Min(num, first + 100); i++)
            {
                keys.Key(i, key);
                batch.Put(key, keys.Value(i).Span);
            }

            await run.Db.WriteAsync(batch, NoWait);
        }

        await run.Db.FlushAsync(FlushType.MemTable);
    }
}
