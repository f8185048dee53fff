using System.Diagnostics;
using System.Globalization;
using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>
/// <c>scancold</c>: loads <c>--num</c> rows (16-byte keys, 100-byte values, memtable flushed) into a database on
/// <c>--store</c>, then, for <c>--rounds</c> rounds, reopens it once per read-ahead budget in <c>--read-ahead-kib</c>
/// (interleaved) and times one full scan with a cold block cache: rows/s, GETs, bytes read and the process's CPU time.
/// The run deletes its objects.
/// </summary>
internal static class ScanColdBench
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench/SlateDb.Bench -- scancold --store URI [--num N] [--rounds N] [--read-ahead-kib LIST]
          --store URI            file:///dir, s3://bucket/prefix?endpoint=…, az://container/prefix (required)
          --num N                rows loaded (default 1000000)
          --rounds N             rounds, each scanning once per budget (default 2)
          --read-ahead-kib LIST  comma-separated Settings.ScanReadAheadBytes values in KiB (default 0,2048,8192,32768)
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? storeUri = null;
        long num = 1_000_000;
        var rounds = 2;
        long[] budgets = [0, 2048, 8192, 32768];
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            switch (args[i])
            {
                case "--store": storeUri = args[i + 1]; break;
                case "--num": num = long.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--read-ahead-kib": budgets = args[i + 1].Split(',').Select(b => long.Parse(b, CultureInfo.InvariantCulture)).ToArray(); break;
                default: Console.Error.WriteLine($"Unknown option {args[i]}.\n{Usage}"); return 2;
            }
        }

        if (storeUri is null || args.Count % 2 != 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var store = new InstrumentedObjectStore(ObjectStores.FromUri(storeUri));
        var path = $"bench-scancold/{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            await LoadAsync(store, path, num);
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var kib in budgets)
                {
                    await ScanAsync(store, path, kib, round, num);
                }
            }
        }
        finally
        {
            var paths = new List<string>();
            await foreach (var meta in store.ListAsync(path + "/"))
            {
                paths.Add(meta.Path);
            }

            foreach (var p in paths)
            {
                await store.DeleteAsync(p);
            }
        }

        return 0;
    }

    private static async Task LoadAsync(InstrumentedObjectStore store, string path, long num)
    {
        await using var db = await Db.Builder(path, store).WithSettings(new Settings { BlockCacheBytes = 64 << 20 }).BuildAsync();
        var value = new byte[100];
        var noWait = new WriteOptions { AwaitDurable = false };
        for (long first = 0; first < num; first += 100)
        {
            using var batch = new WriteBatch();
            for (var i = first; i < Math.Min(num, first + 100); i++)
            {
                batch.Put(System.Text.Encoding.ASCII.GetBytes((2 * i).ToString("D16", CultureInfo.InvariantCulture)), value);
            }

            await db.WriteAsync(batch, noWait);
        }

        await db.FlushAsync(FlushType.MemTable);
    }

    private static async Task ScanAsync(InstrumentedObjectStore store, string path, long kib, int round, long num)
    {
        var settings = new Settings { BlockCacheBytes = 64 << 20, ScanReadAheadBytes = kib * 1024 };
        await using var db = await Db.Builder(path, store).WithSettings(settings).BuildAsync();
        var before = store.Snapshot();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        long rows = 0;
        await using (var scan = db.ScanAsync(KeyRange.All))
        {
            while (await scan.NextAsync() is not null)
            {
                rows++;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var after = store.Snapshot();
        if (rows != num)
        {
            throw new InvalidOperationException($"The scan returned {rows:N0} rows; the load wrote {num:N0}.");
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"round {round}, read-ahead {kib,6} KiB: {rows / elapsed.TotalSeconds,12:N0} rows/s  {elapsed.TotalSeconds,6:0.00} s  " +
            $"GET {after.Gets - before.Gets,6}  read {BenchResult.Bytes(after.BytesRead - before.BytesRead)}  " +
            $"process CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.00} s  load {LoadAverage()}"));
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
