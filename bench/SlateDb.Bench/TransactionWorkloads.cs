namespace SlateDb.Bench;

/// <summary>
/// transaction: concurrent transfers between accounts (read two balances, write both) as optimistic transactions or as
/// plain read-then-batch writes; getmany: a batched get of 100 keys against 100 gets, on cold and warm caches.
/// </summary>
internal static class TransactionWorkloads
{
    private const int Accounts = 10_000;
    private const int KeysPerRead = 100;
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private static readonly TimeProvider Clock = TimeProvider.System;

    /// <summary>
    /// transaction: <c>--writers</c> workers (default 4) each run transfers until <c>--num</c> have been attempted;
    /// <c>--isolation</c> snapshot | serializable | batch (plain gets and a WriteBatch: no conflict detection).
    /// </summary>
    public static async Task<BenchResult> TransferAsync(BenchOptions o)
    {
        var workers = o.Writers ?? 4;
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, "transaction");
        for (var first = 0; first < Accounts; first += 1000)
        {
            using var fill = new WriteBatch();
            for (var i = first; i < first + 1000; i++)
            {
                fill.Put(keys.Key(i), BitConverter.GetBytes(1_000L));
            }

            await run.Db.WriteAsync(fill, NoWait);
        }

        run.Store.Reset();
        var latencies = new Latencies((int)num);
        long issued = 0;
        long aborted = 0;
        var start = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var random = new Random((o.Seed * 7919) + w);
            while (Interlocked.Increment(ref issued) <= num)
            {
                var from = keys.Key(random.Next(Accounts));
                var to = keys.Key(random.Next(Accounts));
                var t0 = Clock.GetTimestamp();
                if (!await TransferOnceAsync(run.Db, o.Isolation, from, to))
                {
                    Interlocked.Increment(ref aborted);
                }

                latencies.Record(t0, Clock.GetTimestamp());
            }
        })));
        var elapsed = Clock.GetElapsedTime(start);

        return new BenchResult($"transaction {o.Isolation}, {workers} workers", num, elapsed, latencies, "per transfer", 0,
            StoreCounters.From(run.Store), $"{Accounts:N0} accounts; {aborted:N0} aborted by conflicts ({(double)aborted / num:P2}); commits do not await durability");
    }

    /// <summary>getmany: after a fill of <c>--num</c> keys to L0, rounds of 100 random keys read by one batched get and by 100 gets.</summary>
    public static async Task<IReadOnlyList<BenchResult>> GetManyAsync(BenchOptions o)
    {
        var num = o.EffectiveNum;
        const int Rounds = 20;
        var keys = new KeySource(o);
        await using var run = await BenchRun.OpenAsync(o, "getmany");
        await run.FillToL0Async(keys, num);
        await run.Db.CloseAsync();

        var random = new Random(o.Seed);
        var sets = Enumerable.Range(0, Rounds)
            .Select(_ => (IReadOnlyList<ReadOnlyMemory<byte>>)Enumerable.Range(0, KeysPerRead).Select(_ => (ReadOnlyMemory<byte>)keys.Key(random.NextInt64(num))).ToList())
            .ToList();
        var results = new List<BenchResult>();
        foreach (var batched in new[] { false, true })
        {
            foreach (var warm in new[] { false, true })
            {
                results.Add(await ReadRoundsAsync(o, run, sets, batched, warm));
            }
        }

        return results;
    }

    private static async Task<BenchResult> ReadRoundsAsync(
        BenchOptions o, BenchRun run, List<IReadOnlyList<ReadOnlyMemory<byte>>> sets, bool batched, bool warm)
    {
        var latencies = new Latencies(sets.Count);
        long reads = 0;
        long requests = 0;
        StoreCounters? last = null;
        var elapsed = TimeSpan.Zero;
        Db? db = null;
        try
        {
            foreach (var set in sets)
            {
                // Cold: a fresh database instance per round (no open SST readers, an empty block cache).
                if (db is null || !warm)
                {
                    if (db is not null)
                    {
                        await db.CloseAsync();
                    }

                    db = await Db.Builder(run.Path, run.Store).WithSettings(new Settings { FlushInterval = o.FlushInterval }).WithSeed(o.Seed).BuildAsync();
                    if (warm)
                    {
                        foreach (var warmup in sets)
                        {
                            await db.GetManyAsync(warmup);
                        }
                    }
                }

                run.Store.Reset();
                var t0 = Clock.GetTimestamp();
                if (batched)
                {
                    reads += (await db.GetManyAsync(set)).Count(v => v is not null);
                }
                else
                {
                    foreach (var key in set)
                    {
                        reads += await db.GetAsync(key) is null ? 0 : 1;
                    }
                }

                var t1 = Clock.GetTimestamp();
                latencies.Record(t0, t1);
                elapsed += Clock.GetElapsedTime(t0, t1);
                last = StoreCounters.From(run.Store);
                requests += last.Gets + last.Heads;
            }
        }
        finally
        {
            if (db is not null)
            {
                await db.CloseAsync();
            }
        }

        var name = $"getmany {(batched ? "1 batched get" : "100 gets")} of {KeysPerRead} keys, {(warm ? "warm" : "cold")}";
        return new BenchResult(name, sets.Count, elapsed, latencies, $"per {KeysPerRead} keys", 0, last!,
            $"{(double)requests / sets.Count:0.0} GET+HEAD per {KeysPerRead} keys on average; {reads:N0} values found; {o.EffectiveNum:N0} keys in L0");
    }

    // One transfer of 1 from `from` to `to`; false when it aborted on a conflict.
    private static async Task<bool> TransferOnceAsync(Db db, string isolation, byte[] from, byte[] to)
    {
        if (isolation == "batch")
        {
            var values = await db.GetManyAsync([from, to]);
            using var batch = new WriteBatch();
            batch.Put(from, BitConverter.GetBytes(BitConverter.ToInt64(values[0]) - 1));
            batch.Put(to, BitConverter.GetBytes(BitConverter.ToInt64(values[1]) + 1));
            await db.WriteAsync(batch, NoWait);
            return true;
        }

        await using var txn = db.BeginTransaction(isolation == "serializable" ? TransactionIsolation.SerializableSnapshot : TransactionIsolation.Snapshot);
        var balances = await txn.GetManyAsync([from, to]);
        txn.Put(from, BitConverter.GetBytes(BitConverter.ToInt64(balances[0]) - 1));
        txn.Put(to, BitConverter.GetBytes(BitConverter.ToInt64(balances[1]) + 1));
        try
        {
            await txn.CommitAsync(NoWait);
            return true;
        }
        catch (TransactionConflictException)
        {
            return false;
        }
    }
}
