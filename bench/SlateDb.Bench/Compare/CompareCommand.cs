using System.Globalization;
using SlateDb.ObjectStore;

namespace SlateDb.Bench.Compare;

/// <summary>
/// <c>compare</c>: the workloads of <see cref="CompareWorkloads"/> on every engine, one engine after another, an
/// unmeasured warm-up round first for each, then several measured rounds; prints medians and ratios.
/// <c>cost</c>: the same workloads on SlateDb alone (any store), then the request counts per million operations
/// and the idle cost (see <see cref="IdleCost"/>).
/// </summary>
internal static class CompareCommand
{
    public static async Task<int> RunAsync(string command, IReadOnlyList<string> args)
    {
        if (args.Contains("--help"))
        {
            Console.WriteLine(CompareOptions.Usage);
            return 0;
        }

        CompareOptions o;
        try
        {
            o = CompareOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine(CompareOptions.Usage);
            return 2;
        }

        // Synchronous engines block their thread per call: 64 durable writers need 64 threads at once.
        ThreadPool.SetMinThreads(Math.Max(128, Environment.ProcessorCount), Math.Max(128, Environment.ProcessorCount));
        var engines = command == "cost"
            ? [SlateDbEngine.Kind(o.Store)]
            : o.Engines.Select(e => e switch
            {
                "slatedb" => SlateDbEngine.Kind(o.Store),
                "rocksdb" => RocksDbEngine.Kind,
                _ => ZoneTreeEngine.Kind,
            }).ToList();

        Console.WriteLine($"{command}: {o.Num:N0} keys of {o.KeySize} B, values of {o.ValueSize} B, fills in batches of {o.Batch}, " +
                          $"{o.Reads:N0} reads, {o.Rounds} round(s) after a warm-up of {o.WarmupNum:N0} keys, block cache {o.CacheBytes >> 20} MiB");
        foreach (var e in engines)
        {
            Console.WriteLine($"  {e.Name}: {e.Note}");
        }

        var samples = new Dictionary<(string Workload, string Engine), List<Sample>>();
        var root = Directory.CreateTempSubdirectory("slatedb-compare-").FullName;
        try
        {
            for (var round = 0; round <= o.Rounds; round++)
            {
                if (round == 0 && o.WarmupNum == 0)
                {
                    continue;
                }

                foreach (var engine in engines)
                {
                    var dir = Path.Combine(root, $"{engine.Name}-{round}");
                    var start = TimeProvider.System.GetTimestamp();
                    var runOptions = round == 0 ? o.ForWarmup() : o;
                    await new CompareWorkloads(runOptions, engine, (w, s) =>
                    {
                        if (round > 0)
                        {
                            (samples.TryGetValue((w, engine.Name), out var l) ? l : samples[(w, engine.Name)] = []).Add(s);
                        }
                    }).RunRoundAsync(dir, round);
                    Directory.Delete(dir, recursive: true);
                    Console.WriteLine($"  {(round == 0 ? "warm-up" : $"round {round}")} of {engine.Name}: {TimeProvider.System.GetElapsedTime(start).TotalSeconds:0.0} s");
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
            try
            {
                await DeleteRemoteAsync(o.Store, "bench-compare/" + Path.GetFileName(root) + "/");
            }
            catch (ObjectStoreException e)
            {
                // Do not hide the workload's own failure behind the clean-up's.
                Console.Error.WriteLine($"  could not delete the run's objects from {o.Store}: {e.Message}");
            }
        }

        CompareReport.Print(Console.Out, o, engines, samples);
        if (command == "cost")
        {
            await IdleCost.RunAsync(o, Console.Out);
        }

        return 0;
    }

    // A store the user named keeps nothing of ours.
    private static async Task DeleteRemoteAsync(string? storeUri, string prefix)
    {
        if (storeUri is null)
        {
            return;
        }

        var store = ObjectStores.FromUri(storeUri);
        var paths = new List<string>();
        await foreach (var meta in store.ListAsync(prefix))
        {
            paths.Add(meta.Path);
        }

        foreach (var p in paths)
        {
            await store.DeleteAsync(p);
        }

        (store as IDisposable)?.Dispose();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  deleted {paths.Count} objects under {prefix} of {storeUri}"));
    }
}
