using System.Diagnostics;
using System.Globalization;

namespace SlateDb.Bench;

/// <summary>
/// cdc: change data capture throughput. A writer puts <c>--num</c> rows (default 1 M, <c>--batch</c> per write batch,
/// not awaiting durability, WAL flushed every <c>--flush-interval</c>) into a database whose WAL objects garbage collection
/// keeps; then, for several rounds, a <see cref="WalReader"/> reads the whole change feed from the beginning to the tail
/// (<see cref="WalReader.ReadChangesAsync"/> without following) and the rows per second are reported. The first round
/// pays for JIT compilation and a cold page cache. <c>--store</c> takes memory, file:&lt;dir&gt; or any store URI.
/// </summary>
internal static class CdcBench
{
    private const int Rounds = 5;

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var (store, cleanup) = PromoteBench.Open(o.Store, "slatedb-cdc-");
        try
        {
            var path = $"cdc-{Environment.ProcessId}";
            var settings = new Settings { FlushInterval = o.FlushInterval, Compactor = null, Gc = null };
            var keys = new KeySource(o);
            var value = new byte[o.ValueSize];
            new Random(o.Seed).NextBytes(value);
            var fill = Stopwatch.StartNew();
            await using (var db = await Db.Builder(path, store).WithSettings(settings).WithSeed(o.Seed).BuildAsync())
            {
                var noWait = new WriteOptions { AwaitDurable = false };
                for (long i = 0; i < o.EffectiveNum; i += o.Batch)
                {
                    using var batch = new WriteBatch();
                    for (var j = i; j < Math.Min(i + o.Batch, o.EffectiveNum); j++)
                    {
                        batch.Put(keys.Key(j), value);
                    }

                    await db.WriteAsync(batch, noWait);
                }

                await db.FlushAsync();
            }

            var reader = await WalReader.OpenAsync(path, store);
            var objects = await reader.ListAsync();
            var walBytes = objects.Sum(w => w.Size);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"filled {o.EffectiveNum:N0} rows in {fill.Elapsed.TotalSeconds:F1} s: {objects.Count:N0} WAL objects, {walBytes / 1048576.0:F1} MiB on {store.Uri}"));

            var rates = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                long rows = 0;
                long bytes = 0;
                var started = Stopwatch.GetTimestamp();
                await foreach (var batch in reader.ReadChangesAsync(ChangeCursor.Beginning, follow: false))
                {
                    rows += batch.Rows.Count;
                    foreach (var row in batch.Rows)
                    {
                        bytes += row.Key.Length + row.Value.Length;
                    }
                }

                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (rows != o.EffectiveNum)
                {
                    throw new InvalidOperationException($"Round {round}: the feed delivered {rows:N0} rows, {o.EffectiveNum:N0} were written.");
                }

                rates.Add(rows / seconds);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"round {round}: {rows:N0} rows in {seconds * 1000:F0} ms = {rows / seconds:N0} rows/s, {bytes / seconds / 1048576.0:F1} MiB/s of keys and values"));
            }

            var measured = rates.Skip(1).Order().ToList();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"cdc on {store.Uri}: first {rates[0]:N0} rows/s; then min {measured[0]:N0} / median {measured[measured.Count / 2]:N0} / max {measured[^1]:N0} rows/s"));
            return 0;
        }
        finally
        {
            cleanup?.Invoke();
        }
    }
}
