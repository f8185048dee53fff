using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Admin.Tests.AdminKit;

namespace SlateDb.Admin.Tests;

/// <summary>DbAdmin.ReadManifestAsync and ListManifestsAsync.</summary>
public sealed class ManifestReadTests
{
    [Fact]
    public async Task The_latest_manifest_and_one_by_id_read_back_with_every_field()
    {
        var store = new InMemoryObjectStore();
        var wal = new InMemoryObjectStore();
        var time = Clock();
        await using (var db = await OpenAsync(store, time, wal))
        {
            await db.PutAsync(K(1), V(1), NoWait);
            await db.PutAsync(K(2), V(2), NoWait);
            await db.FlushAsync(FlushType.MemTable);
            await db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Name = "n" });
        }

        var raw = await LatestAsync(store);
        var admin = AdminOf(store, time, wal);

        var latest = await admin.ReadManifestAsync();
        Assert.Equal(raw.Id, latest.Id);
        Assert.Equal(raw.Value.WriterEpoch, latest.WriterEpoch);
        Assert.Equal(1UL, latest.WriterEpoch);
        Assert.Equal(raw.Value.ReplayAfterWalId, latest.ReplayAfterWalId);
        Assert.Equal(raw.Value.NextWalSstId, latest.NextWalSstId);
        Assert.Equal(2UL, latest.LastL0Seq);
        Assert.True(latest.Initialized);
        Assert.Equal(wal.Uri, latest.WalObjectStoreUri);
        Assert.Empty(latest.SortedRuns);
        Assert.Empty(latest.ExternalDbs);
        Assert.Equal("n", Assert.Single(latest.Checkpoints).Name);
        var sst = Assert.Single(latest.L0);
        Assert.Equal(raw.Value.L0[0].Id.ToUlid().ToString(), sst.Id);
        Assert.Equal(K(1), sst.FirstKey.ToArray());
        Assert.Equal(K(2), sst.LastKey.ToArray());
        Assert.Equal(2UL, sst.RowCount);
        Assert.Equal((ulong)(await store.HeadAsync($"{DbPath}/compacted/{sst.Id}.sst")).Size, sst.Size);

        var first = await admin.ReadManifestAsync(1);
        Assert.Equal(1UL, first.Id);
        Assert.Equal(0UL, first.WriterEpoch);
        Assert.Empty(first.L0);
        Assert.Null(first.WalObjectStoreUri);
    }

    [Fact]
    public async Task Listing_returns_every_manifest_in_id_order_within_inclusive_bounds()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using (var db = await OpenAsync(store, time))
        {
            await db.PutAsync(K(1), V(1), NoWait);
            await db.FlushAsync(FlushType.MemTable);
        }

        var latest = (await LatestAsync(store)).Id;
        Assert.True(latest >= 3, $"only {latest} manifests");
        var admin = AdminOf(store, time);

        var all = await admin.ListManifestsAsync();
        Assert.Equal(Enumerable.Range(1, (int)latest).Select(i => (ulong)i), all.Select(m => m.Id));
        Assert.All(all, m => Assert.True(m.Size > 0));
        Assert.Equal((await store.HeadAsync(new SlateDb.Layout.DbPaths(DbPath).ManifestPath(2))).Size, all[1].Size);

        Assert.Equal([2UL, 3UL], (await admin.ListManifestsAsync(2, 3)).Select(m => m.Id));
        Assert.Equal([latest], (await admin.ListManifestsAsync(fromId: latest)).Select(m => m.Id));
        Assert.Equal([1UL], (await admin.ListManifestsAsync(toId: 1)).Select(m => m.Id));
        Assert.Empty(await admin.ListManifestsAsync(latest + 1));
    }

    [Fact]
    public async Task A_missing_id_is_an_error_naming_the_id_and_its_object()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using (await OpenAsync(store, time))
        {
        }

        var e = await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, time).ReadManifestAsync(999));
        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains("manifest 999", e.Message, StringComparison.Ordinal);
        Assert.Contains(Paths.ManifestPath(999), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_path_without_a_database_is_an_error_naming_the_path_and_store_and_lists_nothing()
    {
        var store = new InMemoryObjectStore();
        var admin = AdminOf(store, Clock(), path: "nothing/here");

        var e = await Assert.ThrowsAsync<SlateDbException>(() => admin.ReadManifestAsync());
        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains("'nothing/here'", e.Message, StringComparison.Ordinal);
        Assert.Contains(store.Uri, e.Message, StringComparison.Ordinal);
        Assert.Empty(await admin.ListManifestsAsync());
        await Assert.ThrowsAsync<SlateDbException>(() => admin.ListCheckpointsAsync());
        await Assert.ThrowsAsync<SlateDbException>(() => admin.CreateCheckpointAsync());
        await Assert.ThrowsAsync<SlateDbException>(() => admin.VerifyAsync());
        Assert.Empty(await ListAllAsync(store));
    }

    private static async Task<List<string>> ListAllAsync(InMemoryObjectStore store)
    {
        var found = new List<string>();
        await foreach (var meta in store.ListAsync(""))
        {
            found.Add(meta.Path);
        }

        return found;
    }
}
