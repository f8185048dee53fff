using SlateDb.Infrastructure;

namespace SlateDb.Bench.Compare;

/// <summary>
/// The workload definition every engine runs, in this order, in one round:
/// fillseq (loads the read database: keys 0, 2, 4, … so that odd keys are missing but inside the key range),
/// a memtable flush, readrandom (warmed by one unmeasured pass), readmissing, scan10, scanall, a reopen,
/// readrandom-reopen (cold block cache), mixed-80-20 (4 clients: 80 % gets, 20 % single puts), another reopen and
/// scanall-reopen (a full scan with a cold block cache), then fillrandom, durable-1 (followed, on SlateDb, by put-1:
/// single store PUTs of the same size, the floor under a durable put) and durable-64 each on a fresh database. Only the operations are timed; fills then flush their
/// memtable inside the byte count, not the time.
/// </summary>
internal sealed class CompareWorkloads(CompareOptions o, EngineKind kind, Action<string, Sample> record)
{
    private readonly KeySource _keys = new(o.KeySize, o.ValueSize, o.Seed);

    public async Task RunRoundAsync(string root, int round)
    {
        var load = Path.Combine(root, "load");
        var db = await OpenAsync(load, false);
        try
        {
            await FillAsync("fillseq", db, sequential: true, round);
            await TimedAsync("readrandom", db, o.Reads, 1, (c, r, k) => GetAsync(c, r, k, present: true), warm: true);
            await TimedAsync("readmissing", db, o.Reads, 1, (c, r, k) => GetAsync(c, r, k, present: false));
            await TimedAsync("scan10", db, o.Reads / 10, 1, async (c, r, k) =>
            {
                KeyAt(2 * Below(r, o.Num), k);
                _ = await c.ScanAsync(k, 10);
            });
            await ScanAllAsync("scanall", db);
        }
        finally
        {
            await db.DisposeAsync();
        }

        db = await OpenAsync(load, false);
        try
        {
            await TimedAsync("readrandom-reopen", db, o.Reads, 1, (c, r, k) => GetAsync(c, r, k, present: true));
            await TimedAsync("mixed-80-20", db, o.Reads, 4, async (c, r, k) =>
            {
                if (Below(r, 5) == 0)
                {
                    var i = Below(r, o.Num);
                    KeyAt(2 * i, k);
                    await c.WriteAsync([k], [_keys.Value(i + round)], 1);
                }
                else
                {
                    await GetAsync(c, r, k, present: true);
                }
            });
        }
        finally
        {
            await db.DisposeAsync();
        }

        if (Wanted("scanall-reopen"))
        {
            db = await OpenAsync(load, false);
            await using var _ = db;
            await ScanAllAsync("scanall-reopen", db);
        }

        if (Wanted("fillrandom"))
        {
            db = await OpenAsync(Path.Combine(root, "random"), false);
            await using var _ = db;
            await FillAsync("fillrandom", db, sequential: false, round);
        }

        foreach (var writers in new[] { 1, 64 })
        {
            if (Wanted($"durable-{writers}"))
            {
                db = await OpenAsync(Path.Combine(root, $"durable-{writers}"), true);
                await using var _ = db;
                await TimedAsync($"durable-{writers}", db, o.DurableOpsFor(writers), writers, async (c, r, k) =>
                {
                    KeyAt(2 * Below(r, o.Num), k);
                    await c.PutDurableAsync(k, _keys.Value(writers));
                });
                if (writers == 1 && db is SlateDbEngine slate)
                {
                    await SinglePutsAsync(slate, o.DurableOpsFor(1));
                }
            }
        }
    }

    // put-1: what one durable put costs at least on this store: one create-if-absent PUT at a time of an object the size
    // of the WAL objects durable-1 wrote just before (one row each), to new paths beside the database.
    private async Task SinglePutsAsync(SlateDbEngine db, long ops)
    {
        if (!Wanted("put-1"))
        {
            return;
        }

        var counters = StoreCounters.From(db.Store);
        var size = counters.Puts > 0 ? (int)Math.Clamp(counters.BytesWritten / counters.Puts, 64, 1 << 20) : 512;
        var data = new byte[size];
        new DbRandom((ulong)o.Seed).NextBytes(data);
        using var measure = Measure.Start();
        var requests = Requests(db);
        var latencies = new Latencies((int)ops);
        var start = TimeProvider.System.GetTimestamp();
        for (long i = 0; i < ops; i++)
        {
            var t0 = TimeProvider.System.GetTimestamp();
            await db.Store.PutAsync($"{db.Path}-puts/{i:D20}", data, SlateDb.ObjectStore.PutMode.Create);
            latencies.Record(t0, TimeProvider.System.GetTimestamp());
        }

        Report("put-1", ops, TimeProvider.System.GetElapsedTime(start), latencies, measure, requests, db);
    }

    private ValueTask<ICompareEngine> OpenAsync(string dir, bool durable)
    {
        Directory.CreateDirectory(dir);
        return kind.Open(dir, o, durable);
    }

    // A uniform number in [0, bound) from a fast seeded generator.
    private static long Below(DbRandom random, long bound) => (long)Math.BigMul(random.NextUInt64(), (ulong)bound, out _);

    private bool Wanted(string workload) => o.Workloads.Contains(workload);

    private void KeyAt(long index, byte[] key) => _keys.Key(index, key);

    private async ValueTask GetAsync(ICompareEngine db, DbRandom random, byte[] key, bool present)
    {
        KeyAt((2 * Below(random, o.Num)) + (present ? 0 : 1), key);
        if (await db.GetAsync(key) != present)
        {
            throw new InvalidOperationException($"{kind.Name}: key {System.Text.Encoding.ASCII.GetString(key)} should {(present ? "" : "not ")}be present.");
        }
    }

    private async Task FillAsync(string name, ICompareEngine db, bool sequential, int round)
    {
        var keys = Enumerable.Range(0, o.Batch).Select(_ => new byte[o.KeySize]).ToArray();
        var values = new ReadOnlyMemory<byte>[o.Batch];
        var random = new DbRandom((ulong)(o.Seed * 7919) + (ulong)round);
        var latencies = new Latencies((int)(o.Num / o.Batch) + 1);
        using var measure = Measure.Start();
        var requests = Requests(db);
        var start = TimeProvider.System.GetTimestamp();
        for (long first = 0; first < o.Num; first += o.Batch)
        {
            var count = (int)Math.Min(o.Batch, o.Num - first);
            for (var i = 0; i < count; i++)
            {
                var index = sequential ? first + i : Below(random, o.Num);
                KeyAt(2 * index, keys[i]);
                values[i] = _keys.Value(index);
            }

            var t0 = TimeProvider.System.GetTimestamp();
            await db.WriteAsync(keys, values, count);
            latencies.Record(t0, TimeProvider.System.GetTimestamp());
        }

        var elapsed = TimeProvider.System.GetElapsedTime(start);
        await db.FlushAsync();
        Report(name, o.Num, elapsed, latencies, measure, requests, db);
    }

    private async Task ScanAllAsync(string name, ICompareEngine db)
    {
        if (!Wanted(name))
        {
            return;
        }

        using var measure = Measure.Start();
        var requests = Requests(db);
        var latencies = new Latencies(1);
        var start = TimeProvider.System.GetTimestamp();
        var rows = await db.ScanAsync(null, long.MaxValue);
        latencies.Record(start, TimeProvider.System.GetTimestamp());
        var elapsed = TimeProvider.System.GetElapsedTime(start);
        if (rows != o.Num)
        {
            throw new InvalidOperationException($"{kind.Name}: the full scan returned {rows:N0} rows; the fill wrote {o.Num:N0}.");
        }

        Report(name, rows, elapsed, latencies, measure, requests, db);
    }

    // Runs `ops` operations from `clients` concurrent clients; each takes the next operation until none is left.
    private async Task TimedAsync(
        string name, ICompareEngine db, long ops, int clients, Func<ICompareEngine, DbRandom, byte[], ValueTask> op, bool warm = false)
    {
        if (!Wanted(name))
        {
            return;
        }

        if (warm)
        {
            await RunClientsAsync(db, ops, clients, op, null, seed: 977);
        }

        using var measure = Measure.Start();
        var requests = Requests(db);
        var latencies = new Latencies((int)ops);
        var start = TimeProvider.System.GetTimestamp();
        await RunClientsAsync(db, ops, clients, op, latencies, seed: 1);
        Report(name, ops, TimeProvider.System.GetElapsedTime(start), latencies, measure, requests, db);
    }

    private async Task RunClientsAsync(
        ICompareEngine db, long ops, int clients, Func<ICompareEngine, DbRandom, byte[], ValueTask> op, Latencies? latencies, int seed)
    {
        long issued = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var random = new DbRandom((ulong)((o.Seed * 7919) + (c * 31) + seed));
            var key = new byte[o.KeySize];
            while (Interlocked.Increment(ref issued) <= ops)
            {
                var t0 = TimeProvider.System.GetTimestamp();
                await op(db, random, key);
                latencies?.Record(t0, TimeProvider.System.GetTimestamp());
            }
        })));
    }

    private static StoreCounters? Requests(ICompareEngine db) => db is SlateDbEngine s ? StoreCounters.From(s.Store) : null;

    private void Report(string name, long ops, TimeSpan elapsed, Latencies latencies, Measure measure, StoreCounters? before, ICompareEngine db)
    {
        var (peak, written) = measure.Stop();
        var requests = before is null ? null : Minus(StoreCounters.From(((SlateDbEngine)db).Store), before);
        record(name, new Sample(ops, elapsed, latencies.Percentile(50), latencies.Percentile(99), peak, written, requests));
    }

    private static StoreCounters Minus(StoreCounters a, StoreCounters b)
        => new(a.Puts - b.Puts, a.Gets - b.Gets, a.Lists - b.Lists, a.Heads - b.Heads, a.Deletes - b.Deletes,
            a.BytesWritten - b.BytesWritten, a.BytesRead - b.BytesRead);
}
