using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Admin.Tests.AdminKit;

namespace SlateDb.Admin.Tests;

/// <summary>DbAdmin's detached checkpoints: create, refresh, delete, list, and what each refuses.</summary>
public sealed class DetachedCheckpointTests
{
    [Fact]
    public async Task A_checkpoint_pins_the_manifest_it_writes_and_covers_the_wal_a_running_writer_stored()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time);
        await PutToWalAsync(db, 1);
        await PutToWalAsync(db, 2);
        var before = await LatestAsync(store);
        var lastWal = (await WalObjectsAsync(store))[^1].Id;
        Assert.True(before.Value.NextWalSstId <= lastWal, "the writer's manifest already covers its WAL; the test proves nothing");

        var cp = await AdminOf(store, time).CreateCheckpointAsync();

        Assert.Equal(before.Id + 1, cp.ManifestId);
        var pinned = await AdminOf(store, time).ReadManifestAsync(cp.ManifestId);
        var entry = Assert.Single(pinned.Checkpoints);
        Assert.Equal(cp.Id, entry.Id);
        Assert.Equal(cp.ManifestId, entry.ManifestId);
        Assert.Null(entry.ExpireTime);
        Assert.Equal(lastWal, pinned.NextWalSstId - 1);
        Assert.Equal(before.Value.ReplayAfterWalId, pinned.ReplayAfterWalId);
        Assert.Equal(before.Value.WriterEpoch, pinned.WriterEpoch);

        // The writer goes on, unfenced, and keeps the raised watermark.
        await PutToWalAsync(db, 3);
        await db.FlushAsync(FlushType.MemTable);
        Assert.Equal(V(3), await db.GetAsync(K(3)));
        var after = await LatestAsync(store);
        Assert.True(after.Value.NextWalSstId > lastWal + 1);
        Assert.Contains(after.Value.Checkpoints, c => c.Id.ToGuid() == cp.Id);
    }

    [Fact]
    public async Task A_stray_wal_object_far_past_the_range_is_refused_instead_of_stretching_the_range_to_it()
    {
        var (store, time) = await CreatedAsync();
        var before = await LatestAsync(store);
        var stray = Paths.WalSstPath(before.Value.NextWalSstId + (1UL << 40));
        await store.PutAsync(stray, new byte[100], PutMode.Create);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => AdminOf(store, time).CreateCheckpointAsync());

        Assert.Contains(stray, e.Message, StringComparison.Ordinal);
        Assert.Equal(before.Id, (await LatestAsync(store)).Id);
    }

    [Fact]
    public async Task Refresh_sets_an_expiry_rounded_up_to_whole_seconds_and_null_clears_it()
    {
        var (store, time) = await CreatedAsync();

        time.Advance(TimeSpan.FromMilliseconds(250));
        var admin = AdminOf(store, time);
        var cp = await admin.CreateCheckpointAsync(new CheckpointOptions { Lifetime = TimeSpan.FromHours(1) });
        var created = Assert.Single(await admin.ListCheckpointsAsync());
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), created.CreateTime.ToUnixTimeSeconds());
        Assert.Equal(created.CreateTime + TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1), created.ExpireTime);

        time.Advance(TimeSpan.FromSeconds(10));
        var refreshed = await admin.RefreshCheckpointAsync(cp.Id, TimeSpan.FromSeconds(1.5));
        var listed = Assert.Single(await admin.ListCheckpointsAsync());
        Assert.Equal(refreshed, listed);
        Assert.Equal(created.CreateTime, listed.CreateTime);
        Assert.Equal(cp.ManifestId, listed.ManifestId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds() + 2), listed.ExpireTime);

        await admin.RefreshCheckpointAsync(cp.Id, null);
        Assert.Null(Assert.Single(await admin.ListCheckpointsAsync()).ExpireTime);

        var latest = (await LatestAsync(store)).Id;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => admin.RefreshCheckpointAsync(cp.Id, TimeSpan.Zero));
        Assert.Equal(latest, (await LatestAsync(store)).Id);
    }

    [Fact]
    public async Task Delete_removes_a_checkpoint_once_and_deleting_it_again_writes_nothing()
    {
        var (store, time) = await CreatedAsync();

        var admin = AdminOf(store, time);
        var keep = await admin.CreateCheckpointAsync();
        var drop = await admin.CreateCheckpointAsync();
        var before = (await LatestAsync(store)).Id;

        Assert.True(await admin.DeleteCheckpointAsync(drop.Id));
        Assert.Equal(before + 1, (await LatestAsync(store)).Id);
        Assert.Equal([keep.Id], (await admin.ListCheckpointsAsync()).Select(c => c.Id));

        Assert.False(await admin.DeleteCheckpointAsync(drop.Id));
        Assert.False(await admin.DeleteCheckpointAsync(Guid.Parse("6f1d0a3e-8c2b-4e5f-9a7d-1b2c3d4e5f60")));
        Assert.Equal(before + 1, (await LatestAsync(store)).Id);
    }

    [Fact]
    public async Task Listing_by_name_matches_the_name_exactly()
    {
        var (store, time) = await CreatedAsync();

        var admin = AdminOf(store, time);
        var a1 = await admin.CreateCheckpointAsync(new CheckpointOptions { Name = "nightly" });
        var b = await admin.CreateCheckpointAsync(new CheckpointOptions { Name = "weekly" });
        var a2 = await admin.CreateCheckpointAsync(new CheckpointOptions { Name = "nightly" });
        var unnamed = await admin.CreateCheckpointAsync();

        Assert.Equal([a1.Id, a2.Id], (await admin.ListCheckpointsAsync("nightly")).Select(c => c.Id));
        Assert.Equal([b.Id], (await admin.ListCheckpointsAsync("weekly")).Select(c => c.Id));
        Assert.Empty(await admin.ListCheckpointsAsync("Nightly"));
        Assert.Equal([a1.Id, b.Id, a2.Id, unnamed.Id], (await admin.ListCheckpointsAsync()).Select(c => c.Id));
    }

    [Fact]
    public async Task A_source_checkpoint_is_reused_and_unknown_ids_are_errors_that_write_nothing()
    {
        var (store, time) = await CreatedAsync();

        var admin = AdminOf(store, time);
        var first = await admin.CreateCheckpointAsync();
        var second = await admin.CreateCheckpointAsync(new CheckpointOptions { Source = first.Id, Name = "copy" });
        Assert.Equal(first.ManifestId, second.ManifestId);

        var before = (await LatestAsync(store)).Id;
        var unknown = Guid.Parse("0b7d1c8e-2f5a-4c43-9d1e-3a6b5c4d2e1f");
        var errors = new[]
        {
            await Assert.ThrowsAsync<SlateDbException>(() => admin.CreateCheckpointAsync(new CheckpointOptions { Source = unknown })),
            await Assert.ThrowsAsync<SlateDbException>(() => admin.RefreshCheckpointAsync(unknown, TimeSpan.FromMinutes(1))),
            await Assert.ThrowsAsync<SlateDbException>(() => admin.VerifyAsync(unknown)),
        };
        foreach (var e in errors)
        {
            Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
            Assert.Contains(unknown.ToString(), e.Message, StringComparison.Ordinal);
            Assert.Contains($"'{DbPath}'", e.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAsync<ArgumentException>(() => admin.CreateCheckpointAsync(new CheckpointOptions { Name = "" }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => admin.CreateCheckpointAsync(new CheckpointOptions { Lifetime = TimeSpan.FromSeconds(-1) }));
        Assert.Equal(before, (await LatestAsync(store)).Id);
    }

    [Fact]
    public async Task A_wal_store_other_than_the_recorded_one_is_refused_naming_both_uris()
    {
        var store = new InMemoryObjectStore();
        var wal = new InMemoryObjectStore();
        var other = new InMemoryObjectStore();
        var time = Clock();
        await using (var db = await OpenAsync(store, time, wal))
        {
            await PutToWalAsync(db, 1);
        }

        var before = (await LatestAsync(store)).Id;
        var withOther = await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, time, other).CreateCheckpointAsync());
        Assert.Equal(SlateDbErrorKind.Invalid, withOther.Kind);
        Assert.Contains(wal.Uri, withOther.Message, StringComparison.Ordinal);
        Assert.Contains(other.Uri, withOther.Message, StringComparison.Ordinal);

        var withNone = await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, time).CreateCheckpointAsync());
        Assert.Equal(SlateDbErrorKind.Invalid, withNone.Kind);
        Assert.Contains(wal.Uri, withNone.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, time, other).VerifyAsync());
        Assert.Equal(before, (await LatestAsync(store)).Id);

        var cp = await AdminOf(store, time, wal).CreateCheckpointAsync();
        Assert.Equal(before + 1, cp.ManifestId);
    }

    [Fact]
    public async Task Moving_to_a_wal_store_is_refused_while_the_main_store_holds_wal_data_to_replay()
    {
        var store = new InMemoryObjectStore();
        var wal = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time);
        await PutToWalAsync(db, 1);
        var before = (await LatestAsync(store)).Id;

        var e = await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, time, wal).CreateCheckpointAsync());

        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains(wal.Uri, e.Message, StringComparison.Ordinal);
        Assert.Contains(store.Uri, e.Message, StringComparison.Ordinal);
        Assert.Equal(before, (await LatestAsync(store)).Id);
    }

    [Fact]
    public async Task An_uninitialized_database_is_refused_and_left_as_it_was()
    {
        var store = new InMemoryObjectStore();
        await new ManifestStore(store, DbPath).CreateOrReadLatestAsync(new ManifestData { Initialized = false, NextWalSstId = 1 });

        var e = await Assert.ThrowsAsync<SlateDbException>(() => AdminOf(store, Clock()).CreateCheckpointAsync());

        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains($"'{DbPath}'", e.Message, StringComparison.Ordinal);
        Assert.Contains("not initialized", e.Message, StringComparison.Ordinal);
        Assert.Equal(1UL, (await LatestAsync(store)).Id);
        Assert.False((await AdminOf(store, Clock()).ReadManifestAsync()).Initialized);
    }
}
