using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>What an open database costs in requests while nobody uses it.</summary>
public sealed class IdleCostTests
{
    [Fact]
    public async Task An_idle_database_with_default_settings_makes_one_request_per_manifest_poll()
    {
        const int polls = 120;
        var time = Clock();
        var store = new InstrumentedObjectStore(new InMemoryObjectStore(null, time), recordLog: true);
        var settings = new Settings();
        var db = await OpenAsync(store, settings, time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        store.Reset();

        for (var i = 1; i <= polls; i++)
        {
            var ticks = db.Engine.ManifestKeeper.PollTicks;
            time.Advance(settings.ManifestPollInterval);
            await EventuallyAsync(() => db.Engine.ManifestKeeper.PollTicks > ticks, $"poll {i} ran");
        }

        // The first tick may be skipped: something in the process (the compactor after the flush) read the latest since.
        var requests = store.Log;
        Assert.InRange(requests.Count, polls - 1, polls);
        var next = new SlateDb.Layout.DbPaths(DbPath).ManifestPath(db.Engine.Manifest.Id + 1);
        Assert.All(requests, r => Assert.Equal($"Get {next}", $"{r.Operation} {r.Path}"));
        await db.CloseAsync();
    }

    [Fact]
    public async Task Over_hours_of_idling_with_default_settings_the_collector_shares_the_poll_and_the_database_makes_at_most_one_request_per_second()
    {
        var time = Clock();
        var store = new InstrumentedObjectStore(new InMemoryObjectStore(null, time), recordLog: true);
        var settings = new Settings();
        var db = await OpenAsync(store, settings, time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        var keeper = db.Engine.ManifestKeeper;

        // Every tick is awaited, so none is coalesced: the first hour lets the collector delete what the open left
        // behind and settle; the next three hours are counted.
        async Task IdleAsync(TimeSpan span)
        {
            for (var s = 0; s < span.TotalSeconds; s++)
            {
                var ticks = keeper.PollTicks;
                time.Advance(settings.ManifestPollInterval);
                await EventuallyAsync(() => keeper.PollTicks > ticks, "the poll tick ran");
            }
        }

        await IdleAsync(TimeSpan.FromHours(1));
        store.Reset();
        var counted = TimeSpan.FromHours(3);
        await IdleAsync(counted);

        var requests = store.Log;
        Assert.True(requests.Count <= counted.TotalSeconds, $"{requests.Count} requests in {counted.TotalSeconds} s");
        Assert.True(requests.Count >= counted.TotalSeconds - 1, $"only {requests.Count} requests: some polls did not run");
        var next = new SlateDb.Layout.DbPaths(DbPath).ManifestPath(db.Engine.Manifest.Id + 1);
        Assert.All(requests, r => Assert.Equal($"Get {next}", $"{r.Operation} {r.Path}"));
        await db.CloseAsync();
    }
}
