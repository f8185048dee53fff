using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>What the writer's manifest poller does with a latest manifest it cannot build on.</summary>
public sealed class ManifestPollTests
{
    [Fact]
    public async Task A_corrupt_latest_manifest_fails_the_database_instead_of_being_retried_forever()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromSeconds(1) }, time);
        await db.PutAsync(K(1), V(1), NoWait);
        var latest = await LatestManifestAsync(store);
        var bad = new DbPaths(DbPath).ManifestPath(latest.Id + 1);
        await store.PutAsync(bad, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, PutMode.Create);

        time.Advance(TimeSpan.FromSeconds(1));
        var cause = await db.Engine.Failed.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains("the manifest poller failed", cause.Message, StringComparison.Ordinal);
        var corruption = Assert.IsType<CorruptionException>(cause.InnerException);
        Assert.Equal(bad, corruption.ObjectPath);
        var write = await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync(K(2), V(2), NoWait));
        Assert.Contains("manifest poller", write.Message, StringComparison.Ordinal);
        await db.DisposeAsync();
    }

    [Fact]
    public async Task A_latest_manifest_with_an_epoch_below_ours_fails_the_database()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromSeconds(1) }, time);
        await new ManifestStore(store, DbPath).UpdateAsync(latest =>
        {
            var next = latest.Value.Clone();
            next.WriterEpoch -= 1;
            return next;
        });

        time.Advance(TimeSpan.FromSeconds(1));
        var cause = await db.Engine.Failed.WaitAsync(TimeSpan.FromSeconds(30));

        var error = Assert.IsType<SlateDbException>(cause);
        Assert.Equal(SlateDbErrorKind.Internal, error.Kind);
        Assert.Contains("the manifest poller failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("below the epoch", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync(K(2), V(2), NoWait));
        await db.DisposeAsync();
    }
}
