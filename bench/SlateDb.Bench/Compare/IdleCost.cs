using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;

namespace SlateDb.Bench.Compare;

/// <summary>
/// The requests an idle open database makes: a real database on the chosen store (local files by default) whose
/// clock is a <see cref="FakeTimeProvider"/>, moved one second at a time through --idle-minutes of simulated time
/// (every manifest poll and collector run that time brings really happens against the store), then extrapolated
/// to an hour. Upstream SlateDB publishes ≈ 3.6 GET/s + 0.1 LIST/s for an idle database (0.15.0).
/// </summary>
internal static class IdleCost
{
    public static async Task RunAsync(CompareOptions o, TextWriter w)
    {
        var temp = o.Store is null ? Directory.CreateTempSubdirectory("slatedb-idle-").FullName : null;
        var inner = temp is null ? ObjectStores.FromUri(o.Store!) : new LocalFileSystemObjectStore(temp);
        var store = new InstrumentedObjectStore(inner);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = $"bench-idle/{Guid.NewGuid():N}";
        var engine = await SlateDbEngine.OpenAsync(store, path, o, time);
        try
        {
            var keys = new KeySource(o.KeySize, o.ValueSize, o.Seed);
            await engine.WriteAsync([keys.Key(1)], [keys.Value(1)], 1);
            await engine.FlushAsync();
            await SettleAsync(store);
            store.Reset();

            var seconds = o.IdleMinutes * 60;
            for (var s = 0; s < seconds; s++)
            {
                var before = Total(store.Snapshot());
                time.Advance(TimeSpan.FromSeconds(1));

                // A poll is due every second (the default interval): wait for its request, a bounded while.
                var waited = TimeProvider.System.GetTimestamp();
                while (Total(store.Snapshot()) == before && TimeProvider.System.GetElapsedTime(waited) < TimeSpan.FromMilliseconds(200))
                {
                    await Task.Yield();
                }
            }

            await SettleAsync(store);
            var r = store.Snapshot();
            var perHour = 3600.0 / seconds;
            w.WriteLine();
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Idle cost: {o.IdleMinutes} simulated minutes on an injected clock (default settings: manifest poll 1 s, collector every 10 min), " +
                $"real requests to {inner.Uri}, extrapolated to one hour"));
            w.WriteLine();
            w.WriteLine("| | GET | LIST | PUT | HEAD | DELETE | all |");
            w.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| SlateDb (.NET), per hour (extrapolated) | {r.Gets * perHour:N0} | {r.Lists * perHour:N0} | {r.Puts * perHour:N0} | {r.Heads * perHour:N0} | {r.Deletes * perHour:N0} | {Total(r) * perHour:N0} |"));
            w.WriteLine("| upstream SlateDB 0.15.0, per hour (published ≈ 3.6 GET/s + 0.1 LIST/s) | 12,960 | 360 | | | | 13,320 |");
        }
        finally
        {
            await engine.DisposeAsync();
            if (temp is not null)
            {
                Directory.Delete(temp, recursive: true);
            }
            else
            {
                var paths = new List<string>();
                await foreach (var meta in inner.ListAsync(path + "/"))
                {
                    paths.Add(meta.Path);
                }

                foreach (var p in paths)
                {
                    await inner.DeleteAsync(p);
                }
            }

            (inner as IDisposable)?.Dispose();
        }
    }

    private static long Total(ObjectStoreStats s) => s.Gets + s.Lists + s.Puts + s.Heads + s.Deletes;

    // Waits until no request has been made for 300 ms of real time (background work of the last step finished).
    private static async Task SettleAsync(InstrumentedObjectStore store)
    {
        var last = -1L;
        while (Total(store.Snapshot()) != last)
        {
            last = Total(store.Snapshot());
            await Task.Delay(300);
        }
    }
}
