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
            time.Advance(settings.ManifestPollInterval);
            await EventuallyAsync(() => store.Snapshot().Gets >= i, $"poll {i} read the manifest");
        }

        // One more read under the keeper's lock waits for a poll still in flight; it costs one request itself.
        await db.Engine.ManifestKeeper.RefreshAsync();
        var requests = store.Log;
        Assert.Equal(polls + 1, requests.Count);
        var next = new SlateDb.Layout.DbPaths(DbPath).ManifestPath(db.Engine.Manifest.Id + 1);
        Assert.All(requests, r => Assert.Equal($"Get {next}", $"{r.Operation} {r.Path}"));
        await db.CloseAsync();
    }
}
