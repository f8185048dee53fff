using SlateDb.Layout;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

public sealed class L0FlushTests
{
    [Fact]
    public async Task A_memtable_flush_publishes_the_sst_and_moves_every_watermark_exactly()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time: time);      // fence: wal 1
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();                                          // wal 2
        time.Advance(TimeSpan.FromSeconds(5));
        var last = await db.PutAsync(K(2), V(2), NoWait);              // seq 2, in the buffer

        await db.FlushAsync(FlushType.MemTable);                        // seals wal 3, then L0

        var manifest = (await LatestManifestAsync(store)).Value;
        var sst = Assert.Single(manifest.L0);
        Assert.Equal(3UL, manifest.ReplayAfterWalId);                   // every row of the memtable is in wal <= 3
        Assert.Equal(4UL, manifest.NextWalSstId);
        Assert.Equal(last.Seq, manifest.LastL0Seq);
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds(), manifest.L0ClockTick);
        Assert.Equal(K(1), sst.FirstKey.ToByteArray());
        Assert.Equal(K(2), sst.LastKey.ToByteArray());
        Assert.Equal(2UL, sst.RowCount);
        Assert.Equal(1UL, sst.MinSeq);
        Assert.Equal(last.Seq, sst.MaxSeq);
        var path = new DbPaths(DbPath).CompactedSstPath(sst.Id.ToUlid());
        Assert.Equal((long)sst.Size, (await store.HeadAsync(path)).Size);
    }

    [Fact]
    public async Task A_publish_retried_after_its_write_landed_lists_the_sst_once()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time: time);
        await db.PutAsync(K(1), V(1), NoWait);
        var before = await LatestManifestAsync(store);

        // A GC boundary at the id the publish will write makes that write count as a conflict after it landed:
        // the update retries on the latest manifest, which already lists the SST. (Past the manifest register's chain
        // window the publish reads the boundary; within it no collector can have deleted that id.)
        time.Advance(TimeSpan.FromMinutes(1));
        var boundary = System.Text.Encoding.ASCII.GetBytes((before.Id + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await store.PutAsync(new DbPaths(DbPath).ManifestGcBoundaryPath, boundary, PutMode.Overwrite);
        await db.FlushAsync(FlushType.MemTable);

        var after = await LatestManifestAsync(store);
        Assert.True(after.Id >= before.Id + 2, $"The publish should have been retried past the boundary (latest {after.Id}).");
        var sst = Assert.Single(after.Value.L0);
        Assert.Equal(V(1), await db.GetAsync(K(1)));
        Assert.Equal(1UL, sst.RowCount);
    }

    [Fact]
    public async Task L0_ssts_are_listed_newest_first_and_read_newest_first()
    {
        var store = new InMemoryObjectStore();
        await using (var db = await OpenAsync(store))
        {
            await db.PutAsync(K(1), V(1, 1), NoWait);
            await db.PutAsync(K(2), V(2, 1), NoWait);
            await db.FlushAsync(FlushType.MemTable);
            await db.PutAsync(K(1), V(1, 2), NoWait);
            await db.DeleteAsync(K(2), NoWait);
            await db.FlushAsync(FlushType.MemTable);

            var manifest = (await LatestManifestAsync(store)).Value;
            Assert.Equal(2, manifest.L0.Count);
            Assert.True(manifest.L0[0].MinSeq > manifest.L0[1].MaxSeq, "The newest L0 SST must come first.");
            Assert.Equal(V(1, 2), await db.GetAsync(K(1)));
            Assert.Null(await db.GetAsync(K(2)));
        }

        await using var reopened = await OpenAsync(store, seed: 2);
        Assert.Equal(V(1, 2), await reopened.GetAsync(K(1)));
        Assert.Null(await reopened.GetAsync(K(2)));
        var keys = new List<string>();
        await foreach (var kv in reopened.ScanAsync(KeyRange.All))
        {
            keys.Add(System.Text.Encoding.UTF8.GetString(kv.Key.Span));
        }

        Assert.Equal(["key-00001"], keys);
    }

    [Fact]
    public async Task A_full_memtable_is_frozen_and_flushed_without_being_asked()
    {
        var store = new InMemoryObjectStore();
        // Without a compactor, which could merge the L0 SSTs into a run before the manifest is read.
        var settings = new Settings { L0SstSizeBytes = 2048, ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null };
        await using var db = await OpenAsync(store, settings);
        for (var i = 0; i < 200; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);
        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.True(manifest.L0.Count >= 3, $"Expected several L0 SSTs, found {manifest.L0.Count}.");
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(V(i), await db.GetAsync(K(i)));
        }
    }

    [Fact]
    public async Task Close_records_the_next_wal_id_and_a_clean_reopen_replays_nothing()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();                          // wal 2
        await db.CloseAsync();                          // freeze: nothing new in the WAL buffer, L0 published

        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.Equal(3UL, manifest.NextWalSstId);
        Assert.Equal(2UL, manifest.ReplayAfterWalId);
        Assert.Single(manifest.L0);

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(store, seed: 2, logs: logs);
        Assert.True(logs.Contains("replayed WAL ids (2, 3) with 0 rows"), string.Join("\n", logs.Messages));
        Assert.Equal(V(1), await reopened.GetAsync(K(1)));
    }

    [Fact]
    public async Task Replay_skips_rows_already_in_l0()
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, 1);
        var db = await OpenAsync(faults);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();                          // wal 2: K1
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync(FlushType.MemTable);        // wal 3: K2; L0 has K1, K2; replay after 3
        await db.PutAsync(K(3), V(3), NoWait);
        await db.FlushAsync();                          // wal 4: K3
        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());

        var logs = new CapturingLoggerFactory();
        await using var reopened = await OpenAsync(store, seed: 2, logs: logs);
        Assert.True(logs.Contains("replayed WAL ids (3, 5) with 1 rows"), string.Join("\n", logs.Messages));
        Assert.Equal(V(1), await reopened.GetAsync(K(1)));
        Assert.Equal(V(3), await reopened.GetAsync(K(3)));
    }

    [Fact]
    public async Task A_retried_manifest_conflict_keeps_the_published_sst()
    {
        // Another process (an admin adding a checkpoint) writes manifest N+1 first: the flush re-applies on top.
        var store = new Manifest.HookedObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        var interfered = false;
        store.BeforePut = async (path, mode) =>
        {
            if (!interfered && path.Contains("/manifest/", StringComparison.Ordinal))
            {
                interfered = true;
                var manifests = new SlateDb.Manifest.ManifestStore(store.Inner, DbPath);
                var latest = await manifests.TryReadLatestAsync();
                var next = latest!.Value.Clone();
                next.RecentSnapshotMinSeq = 42;
                await manifests.TryWriteNextAsync(latest, next);
            }
        };

        await db.FlushAsync(FlushType.MemTable);

        Assert.True(interfered);
        var manifest = (await LatestManifestAsync(store.Inner)).Value;
        Assert.Single(manifest.L0);
        Assert.Equal(42UL, manifest.RecentSnapshotMinSeq);
        Assert.Equal(V(1), await db.GetAsync(K(1)));
    }
}
