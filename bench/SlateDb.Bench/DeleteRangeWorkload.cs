namespace SlateDb.Bench;

/// <summary>
/// deleterange: after a fill of <c>--num</c> keys (default 1 M) flushed to L0, deletes them all with one durable
/// <see cref="Db.DeleteRangeAsync"/>, and, on a second database filled the same way, one by one in durable batches
/// of 1000 deletes; each side also flushes its memtable, so the bytes written count the WAL and the L0 SST.
/// </summary>
internal static class DeleteRangeWorkload
{
    private const int DeletesPerBatch = 1000;
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static async Task<IReadOnlyList<BenchResult>> RunAsync(BenchOptions o)
    {
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        var results = new List<BenchResult>();

        await using (var run = await FilledAsync(o, keys, num, "deleterange"))
        {
            var latencies = new Latencies(1);
            var start = Clock.GetTimestamp();
            await run.Db.DeleteRangeAsync(KeyRange.Between(keys.Key(0), keys.Key(num)));
            var deleted = Clock.GetTimestamp();
            latencies.Record(start, deleted);
            await run.Db.FlushAsync(FlushType.MemTable);
            var elapsed = Clock.GetElapsedTime(start);
            await CheckDeletedAsync(run.Db, keys, num);
            results.Add(new BenchResult(
                $"deleterange: 1 range delete of {num:N0} keys", 1, elapsed, latencies, "durable delete", 0, StoreCounters.From(run.Store),
                $"durable in {BenchResult.Format(Clock.GetElapsedTime(start, deleted))}; time and bytes include the memtable flush"));
        }

        await using (var run = await FilledAsync(o, keys, num, "deletekeys"))
        {
            var latencies = new Latencies((int)((num + DeletesPerBatch - 1) / DeletesPerBatch));
            var start = Clock.GetTimestamp();
            using var batch = new WriteBatch();
            var key = new byte[keys.KeySize];
            for (long first = 0; first < num; first += DeletesPerBatch)
            {
                batch.Clear();
                for (var i = first; i < Math.Min(num, first + DeletesPerBatch); i++)
                {
                    keys.Key(i, key);
                    batch.Delete(key);
                }

                var t0 = Clock.GetTimestamp();
                await run.Db.WriteAsync(batch);
                latencies.Record(t0, Clock.GetTimestamp());
            }

            await run.Db.FlushAsync(FlushType.MemTable);
            var elapsed = Clock.GetElapsedTime(start);
            await CheckDeletedAsync(run.Db, keys, num);
            results.Add(new BenchResult(
                $"deleterange: {num:N0} point deletes, durable batches of {DeletesPerBatch}", num, elapsed, latencies, "per batch", 0, StoreCounters.From(run.Store),
                "time and bytes include the memtable flush"));
        }

        return results;
    }

    // A database holding keys [0, num) in L0, its store counters reset.
    private static async Task<BenchRun> FilledAsync(BenchOptions o, KeySource keys, long num, string label)
    {
        var run = await BenchRun.OpenAsync(o, label);
        await run.FillToL0Async(keys, num);
        run.Store.Reset();
        return run;
    }

    private static async Task CheckDeletedAsync(Db db, KeySource keys, long num)
    {
        foreach (var index in new[] { 0, num / 2, num - 1 })
        {
            if (await db.GetAsync(keys.Key(index)) is not null)
            {
                throw new InvalidOperationException($"Key {index} is still there after the delete.");
            }
        }
    }
}
