using System.Diagnostics;
using System.Globalization;
using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>
/// promote: hot-standby failover time. Each round a writer takes <c>--num</c> puts, a following reader (polling every
/// 100 ms) catches up, the writer acknowledges one more durable put the reader has not seen and is then abandoned
/// (no close, as a crashed process), and the reader is promoted; the time of <see cref="DbReader.PromoteAsync"/> is
/// what is reported, and the last acknowledged key is checked in the promoted database. <c>--store</c> takes memory,
/// file:&lt;dir&gt; or any store URI (<c>s3://bucket/prefix?endpoint=…</c>, <c>az://…</c>); every round uses a fresh path.
/// </summary>
internal static class PromoteBench
{
    private const int Rounds = 7;

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var (store, temp) = Open(o.Store, "slatedb-promote-");
        try
        {
            var settings = new Settings { FlushInterval = TimeSpan.FromMilliseconds(10), Compactor = null, Gc = null };
            var times = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                var path = $"promote-{Environment.ProcessId}-{round}";
                var keys = new KeySource(o);
                var value = new byte[o.ValueSize];
                var writer = await Db.Builder(path, store).WithSettings(settings).WithSeed(o.Seed + round).BuildAsync();
                for (long i = 0; i < o.EffectiveNum; i++)
                {
                    await writer.PutAsync(keys.Key(i), value, new WriteOptions { AwaitDurable = false });
                }

                await writer.FlushAsync();
                var reader = await DbReader.OpenAsync(path, store, new DbReaderOptions { ManifestPollInterval = TimeSpan.FromMilliseconds(100), Settings = settings });
                await reader.RefreshAsync();
                var last = keys.Key(o.EffectiveNum);
                await writer.PutAsync(last, value);     // acknowledged durable; the standby has not seen it

                var started = Stopwatch.GetTimestamp();
                await using var promoted = await reader.PromoteAsync();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (await promoted.GetAsync(last) is null)
                {
                    throw new InvalidOperationException($"Round {round}: the promoted database lost the last acknowledged write.");
                }

                try
                {
                    await writer.PutAsync(keys.Key(0), value);
                    throw new InvalidOperationException($"Round {round}: the old writer was not fenced.");
                }
                catch (FencedException)
                {
                }

                await writer.DisposeAsync();
                times.Add(ms);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {round}: promotion {ms:F1} ms ({o.EffectiveNum:N0} puts before it)"));
            }

            var measured = times.Skip(1).Order().ToList();     // the first round pays for JIT compilation
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"promotion on {store.Uri}: first {times[0]:F1} ms; then min {measured[0]:F1} / median {measured[measured.Count / 2]:F1} / max {measured[^1]:F1} ms"));
            return 0;
        }
        finally
        {
            temp?.Invoke();
        }
    }

    /// <summary>The store <c>--store</c> names: memory, file:&lt;dir&gt;, a URI, or (none) a new temp folder deleted by the cleanup.</summary>
    internal static (IObjectStore Store, Action? Cleanup) Open(string? spec, string tempPrefix)
    {
        if (spec is null || spec.StartsWith("file:", StringComparison.Ordinal))
        {
            var dir = spec is null ? Directory.CreateTempSubdirectory(tempPrefix).FullName : Path.GetFullPath(spec["file:".Length..]);
            Directory.CreateDirectory(dir);
            return (new LocalFileSystemObjectStore(dir), spec is null ? () => Directory.Delete(dir, recursive: true) : null);
        }

        return spec == "memory" ? (new InMemoryObjectStore(), null) : (ObjectStores.FromUri(spec), null);
    }
}
