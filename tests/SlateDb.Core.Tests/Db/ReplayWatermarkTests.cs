using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>
/// Rule D: whenever everything written so far is in L0 (a memtable flush, a clean close), replay_after_wal_id becomes
/// next_wal_sst_id - 1, so the manifest names no WAL object (fences included) that holds nothing it needs.
/// </summary>
public sealed class ReplayWatermarkTests
{
    [Fact]
    public async Task Opens_and_closes_without_writes_leave_no_fence_in_the_replay_range()
    {
        var store = new InMemoryObjectStore();
        for (var i = 0; i < 3; i++)
        {
            var db = await OpenAsync(store, seed: i + 1);
            await db.CloseAsync();

            var manifest = (await LatestManifestAsync(store)).Value;
            var wal = await WalObjectsAsync(store);
            Assert.Equal(i + 1, wal.Count);                       // one fence per open
            Assert.Equal(wal[^1].Id + 1, manifest.NextWalSstId);
            Assert.Equal(manifest.NextWalSstId - 1, manifest.ReplayAfterWalId);
        }
    }

    [Fact]
    public async Task A_memtable_flush_with_nothing_to_freeze_still_moves_the_watermark_past_the_fence()
    {
        var store = new InMemoryObjectStore();
        await (await OpenAsync(store)).CloseAsync();
        await using var db = await OpenAsync(store, seed: 2);
        var before = (await LatestManifestAsync(store)).Value;
        Assert.True(before.ReplayAfterWalId < before.NextWalSstId - 1 || before.NextWalSstId <= 2);

        await db.FlushAsync(FlushType.MemTable);

        var after = (await LatestManifestAsync(store)).Value;
        var fence = (await WalObjectsAsync(store))[^1].Id;
        Assert.Equal(fence, after.ReplayAfterWalId);
        Assert.Equal(fence + 1, after.NextWalSstId);
    }

    [Fact]
    public async Task A_memtable_flush_after_writes_moves_the_watermark_to_the_last_wal_object()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        for (var i = 0; i < 5; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
            await db.FlushAsync();      // one WAL object each
        }

        await db.FlushAsync(FlushType.MemTable);

        var manifest = (await LatestManifestAsync(store)).Value;
        var wal = await WalObjectsAsync(store);
        Assert.Equal(wal[^1].Id, manifest.ReplayAfterWalId);
        Assert.Equal(wal[^1].Id + 1, manifest.NextWalSstId);
    }

    [Fact]
    public async Task Rows_written_after_the_freeze_keep_their_wal_object_in_the_replay_range()
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, seed: 1);
        var db = await OpenAsync(faults);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync();                        // durable in the WAL, not in L0

        // Rule D applied now must not move the watermark past the WAL object holding K(2), which is not in L0.
        await db.Engine.ManifestKeeper.UpdateAsync(m => db.Engine.ApplyFlushedWal(m) ? m : null);
        var manifest = (await LatestManifestAsync(store)).Value;
        var wal = await WalObjectsAsync(store);
        Assert.True(manifest.ReplayAfterWalId < wal[^1].Id);
        faults.Crash();

        await using var reopened = await OpenAsync(store, seed: 2);
        Assert.Equal(V(1), await reopened.GetAsync(K(1)));
        Assert.Equal(V(2), await reopened.GetAsync(K(2)));
    }
}
