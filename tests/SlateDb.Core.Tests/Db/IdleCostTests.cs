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
        var (db, time, store) = await OpenWithOneFlushAsync();
        store.Reset();

        await IdleAsync(db, time, polls);

        // One more read under the keeper's lock waits for a poll still in flight; it costs one request itself.
        await db.Engine.ManifestKeeper.RefreshAsync();
        var requests = store.Log;
        Assert.Equal(polls + 1, requests.Count);
        var next = new SlateDb.Layout.DbPaths(DbPath).ManifestPath(db.Engine.Manifest.Id + 1);
        Assert.All(requests, r => Assert.Equal($"Get {next}", $"{r.Operation} {r.Path}"));
        await db.CloseAsync();
    }

    [Fact]
    public async Task Over_hours_of_idling_with_default_settings_the_collector_shares_the_poll_and_the_database_makes_at_most_one_request_per_second()
    {
        var (db, time, store) = await OpenWithOneFlushAsync();

        // The first hour lets the collector delete what the open left behind; idling goes on until it has settled (a slow
        // run under load may shift its schedule past the hour); the next three hours are counted.
        await IdleAsync(db, time, 3600);
        var collector = db.Engine.ScheduledCollector!;
        for (var minutes = 0; !collector.IsSettled; minutes++)
        {
            Assert.True(minutes < 12 * 60, "The collector did not settle in 12 idle hours.");
            await IdleAsync(db, time, 60);
        }

        store.Reset();
        var counted = TimeSpan.FromHours(3);
        await IdleAsync(db, time, (int)counted.TotalSeconds);

        var requests = store.Log;
        Assert.True(requests.Count <= counted.TotalSeconds, $"{requests.Count} requests in {counted.TotalSeconds} s");
        Assert.True(requests.Count >= counted.TotalSeconds - 1, $"only {requests.Count} requests: some polls did not run");
        var next = new SlateDb.Layout.DbPaths(DbPath).ManifestPath(db.Engine.Manifest.Id + 1);
        Assert.All(requests, r => Assert.Equal($"Get {next}", $"{r.Operation} {r.Path}"));
        await db.CloseAsync();
    }

    // A database with default settings that wrote one row and flushed it.
    private static async Task<(SlateDb.Db Db, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time, InstrumentedObjectStore Store)> OpenWithOneFlushAsync()
    {
        var time = Clock();
        var store = new InstrumentedObjectStore(new InMemoryObjectStore(null, time), recordLog: true);
        var db = await OpenAsync(store, new Settings(), time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        return (db, time, store);
    }

    // Advances the clock one (default) poll interval at a time and awaits each tick, so none is coalesced.
    private static async Task IdleAsync(SlateDb.Db db, Microsoft.Extensions.Time.Testing.FakeTimeProvider time, int seconds)
    {
        var keeper = db.Engine.ManifestKeeper;
        for (var i = 0; i < seconds; i++)
        {
            var ticks = keeper.PollTicks;
            time.Advance(TimeSpan.FromSeconds(1));
            await EventuallyAsync(() => keeper.PollTicks > ticks, $"poll tick {i + 1} ran");
        }
    }
}
