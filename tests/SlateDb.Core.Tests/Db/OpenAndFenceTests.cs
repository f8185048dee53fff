using SlateDb.Core.Tests.Manifest;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Wal;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

public sealed class OpenAndFenceTests
{
    [Fact]
    public async Task A_new_database_claims_epoch_1_fences_wal_1_and_writes_wal_from_2()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);

        var manifest = await LatestManifestAsync(store);
        Assert.Equal(1UL, manifest.Value.WriterEpoch);
        Assert.True(manifest.Value.Initialized);
        Assert.Equal([(1UL, (long)WalFenceObject.Length)], await WalObjectsAsync(store));

        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        var wal = await WalObjectsAsync(store);
        Assert.Equal(2, wal.Count);
        Assert.Equal(2UL, wal[1].Id);
        Assert.True(wal[1].Size > 0);
    }

    [Fact]
    public async Task Each_open_claims_the_next_epoch_and_fences_the_first_free_wal_id()
    {
        var store = new InMemoryObjectStore();
        var first = await OpenAsync(store);
        await first.PutAsync(K(1), V(1), NoWait);
        await first.FlushAsync();                       // wal 2
        await first.PutAsync(K(2), V(2), NoWait);
        await first.FlushAsync();                       // wal 3
        var second = await OpenAsync(store, seed: 2);   // fence at 4, replays 2 and 3

        Assert.Equal(2UL, (await LatestManifestAsync(store)).Value.WriterEpoch);
        Assert.Equal((4UL, (long)WalFenceObject.Length), (await WalObjectsAsync(store))[^1]);
        Assert.Equal(V(1), await second.GetAsync(K(1)));
        Assert.Equal(V(2), await second.GetAsync(K(2)));
        await second.CloseAsync();
        await Assert.ThrowsAnyAsync<SlateDbException>(() => first.FlushAsync(FlushType.MemTable));
    }

    [Fact]
    public async Task A_wal_id_taken_while_fencing_moves_the_fence_up_and_is_replayed()
    {
        var store = new HookedObjectStore();
        var first = await OpenAsync(store);
        await first.PutAsync(K(1), V(1), NoWait);
        await first.FlushAsync();                       // wal 2

        // Just before the second writer's fence lands at wal 3, the first writer stores its next WAL object there.
        await first.PutAsync(K(2), V(2), NoWait);
        var raced = false;
        store.BeforePut = async (path, mode) =>
        {
            if (!raced && path == WalPath(3) && mode.Kind == PutModeKind.Create)
            {
                raced = true;
                store.BeforePut = null;
                await first.FlushAsync();               // wal 3, with K(2)
            }
        };

        await using var second = await OpenAsync(store, seed: 2);

        Assert.True(raced);
        var wal = await WalObjectsAsync(store.Inner);
        Assert.Equal((4UL, (long)WalFenceObject.Length), wal[^1]);
        Assert.Equal(V(2), await second.GetAsync(K(2)));

        // The first writer's next WAL object would land on the fence: it is fenced.
        await first.PutAsync(K(3), V(3), NoWait);
        await Assert.ThrowsAsync<FencedException>(() => first.FlushAsync());
        Assert.Null(await second.GetAsync(K(3)));
    }

    [Fact]
    public async Task An_unfinished_clone_is_refused_with_a_hint_and_nothing_is_written()
    {
        var store = new InMemoryObjectStore();
        var manifests = new ManifestStore(store, DbPath);
        var initial = ManifestDefaults.NewDatabase();
        initial.Initialized = false;
        await manifests.CreateOrReadLatestAsync(initial);

        var e = await Assert.ThrowsAsync<SlateDbException>(() => OpenAsync(store));
        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains("clone", e.Message, StringComparison.Ordinal);
        Assert.Contains("re-run", e.Message, StringComparison.Ordinal);
        Assert.Single(await ListAsync(store, ""));
    }

    [Fact]
    public async Task Invalid_paths_and_settings_fail_before_touching_the_store()
    {
        var store = new InMemoryObjectStore();
        Assert.Throws<ArgumentException>(() => SlateDb.Db.Builder("/abs", store));
        Assert.Throws<ArgumentException>(() => SlateDb.Db.Builder("a/../b", store));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => OpenAsync(store, new Settings { MaxUnflushedBytes = 0 }));
        Assert.Contains(nameof(Settings.MaxUnflushedBytes), e.Message, StringComparison.Ordinal);
        Assert.Empty(await ListAsync(store, ""));
    }

    [Fact]
    public async Task The_manifest_poll_notices_a_newer_writer_while_idle()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var settings = new Settings { ManifestPollInterval = TimeSpan.FromSeconds(1) };
        var first = await OpenAsync(store, settings, time);
        await first.PutAsync(K(1), V(1), NoWait);
        await first.FlushAsync();
        await using var second = await OpenAsync(store, settings, time, seed: 2);

        Assert.Equal(V(1), await first.GetAsync(K(1)));    // the first writer does not know yet
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.IsType<FencedException>(await first.Engine.Failed.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(first.Engine.Lifecycle.IsFenced);
        await Assert.ThrowsAsync<FencedException>(() => first.PutAsync(K(2), V(2), NoWait));
        await Assert.ThrowsAsync<DbClosedException>(async () => await first.GetAsync(K(1)));
        await Assert.ThrowsAsync<FencedException>(() => first.CloseAsync());
        await first.DisposeAsync();     // the failure was reported already: disposing does not throw it again
    }

    [Fact]
    public async Task The_poll_applies_manifest_changes_made_elsewhere_and_drops_readers_of_removed_ssts()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var settings = new Settings { ManifestPollInterval = TimeSpan.FromSeconds(1) };
        await using var db = await OpenAsync(store, settings, time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        Assert.Equal(V(1), await db.GetAsync(K(1)));
        Assert.Equal(V(2), await db.GetAsync(K(2)));
        Assert.Equal(2, db.Engine.Tables.Count);

        // Another process drops the older L0 SST (as a compaction would, once its rows live elsewhere).
        await new ManifestStore(store, DbPath).UpdateAsync(latest =>
        {
            var next = latest.Value.Clone();
            next.L0.RemoveAt(1);
            return next;
        });
        var polled = db.Engine.State.Current;
        time.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => !ReferenceEquals(db.Engine.State.Current, polled), "the poll applies the new manifest");

        Assert.Single(db.Engine.State.Current.L0);
        Assert.Equal(1, db.Engine.Tables.Count);
        Assert.Null(await db.GetAsync(K(1)));
        Assert.Equal(V(2), await db.GetAsync(K(2)));
    }
}
