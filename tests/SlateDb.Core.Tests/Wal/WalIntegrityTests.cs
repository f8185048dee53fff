using System.Buffers.Binary;
using Microsoft.Extensions.Logging.Abstractions;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Wal;

/// <summary>
/// What replay accepts in the WAL range: self-describing fences only, no emptied objects, no stray or implausible ids,
/// no missing ids the manifest records as written (Strict), and no part of an object that does not verify whole. An
/// open refused for what the stores already hold writes nothing.
/// </summary>
public sealed class WalIntegrityTests
{
    private static readonly Settings Tolerant = WalRecoveryTests.Tolerant;

    [Fact]
    public async Task A_wal_object_emptied_in_the_middle_fails_both_modes_naming_it_and_the_open_writes_nothing()
    {
        var store = await FiveDurablePutsAsync();
        await store.PutAsync(WalPath(3), ReadOnlyMemory<byte>.Empty, PutMode.Overwrite);
        var before = await SnapshotAsync(store);

        var strict = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(3), strict.ObjectPath);
        Assert.Contains("zero bytes", strict.Message, StringComparison.Ordinal);

        var tolerant = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, Tolerant, seed: 3));
        Assert.Equal(WalPath(3), tolerant.ObjectPath);
        Assert.Contains(WalPath(4), tolerant.Message, StringComparison.Ordinal);

        Assert.Equal(before, await SnapshotAsync(store));
    }

    [Fact]
    public async Task An_emptied_last_wal_object_fails_a_strict_open_and_is_dropped_by_a_tolerant_one()
    {
        var store = await FiveDurablePutsAsync();
        await store.PutAsync(WalPath(6), ReadOnlyMemory<byte>.Empty, PutMode.Overwrite);

        var strict = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(6), strict.ObjectPath);

        var logs = new Db.CapturingLoggerFactory();
        await using var db = await OpenAsync(store, Tolerant, seed: 3, logs: logs);
        for (var i = 1; i <= 4; i++)
        {
            Assert.Equal(V(i), await db.GetAsync(K(i)));
        }

        Assert.Null(await db.GetAsync(K(5)));
        Assert.True(logs.Contains($"dropped the corrupt WAL tail object {WalPath(6)}"), string.Join("\n", logs.Messages));
    }

    [Fact]
    public async Task A_fence_is_a_checksummed_object_and_a_damaged_one_is_corruption()
    {
        var store = await FiveDurablePutsAsync();
        var fence = (await store.GetAsync(WalPath(1))).Bytes.ToArray();
        Assert.Equal(1UL, WalFenceObject.Decode(fence, WalPath(1)));
        fence[8] ^= 0x01;
        await store.PutAsync(WalPath(1), fence, PutMode.Overwrite);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(1), e.ObjectPath);
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1_000_000_000_000UL)]
    public async Task A_stray_wal_object_at_an_implausible_id_fails_the_open_naming_it_and_writes_nothing(ulong strayId)
    {
        var store = await FiveDurablePutsAsync();
        await store.PutAsync(WalPath(strayId), ReadOnlyMemory<byte>.Empty, PutMode.Create);
        var before = await SnapshotAsync(store);

        foreach (var settings in new[] { new Settings { ManifestPollInterval = TimeSpan.FromHours(1) }, Tolerant })
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, settings, seed: 2 + attempt));
                Assert.Equal(WalPath(strayId), e.ObjectPath);
                Assert.Contains("stray", e.Message, StringComparison.Ordinal);
            }
        }

        Assert.Equal(before, await SnapshotAsync(store));

        // Removing the stray is all it takes; nothing was lost.
        await store.DeleteAsync(WalPath(strayId));
        await using var db = await OpenAsync(store, seed: 9);
        Assert.Equal(V(5), await db.GetAsync(K(5)));
    }

    [Fact]
    public async Task A_stray_wal_object_after_a_gap_fails_the_open_naming_it_and_writes_nothing()
    {
        var store = await FiveDurablePutsAsync();
        await store.PutAsync(WalPath(40), WalFenceObject.Encode(1), PutMode.Create);
        var before = await SnapshotAsync(store);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, Tolerant, seed: 2));
        Assert.Equal(WalPath(7), e.ObjectPath);
        Assert.Contains(WalPath(40), e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(store));
    }

    [Fact]
    public async Task Strict_recovery_fails_naming_ids_the_manifest_records_as_written_that_the_wal_lacks()
    {
        var store = await FiveDurablePutsAsync();
        await RecordNextWalIdAsync(store, 7);   // as an L0 flush records WAL ids stored after its memtable's last one
        await store.DeleteAsync(WalPath(6));
        await store.DeleteAsync(WalPath(5));
        var before = await SnapshotAsync(store);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(5), e.ObjectPath);
        Assert.Contains("WAL ids 5 to 6 are lost", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(store));
    }

    [Fact]
    public async Task Tolerant_recovery_accepts_a_missing_tail_fences_after_it_and_moves_the_replay_range_past_it()
    {
        var store = await FiveDurablePutsAsync();
        await RecordNextWalIdAsync(store, 7);
        await store.DeleteAsync(WalPath(6));
        await store.DeleteAsync(WalPath(5));

        var logs = new Db.CapturingLoggerFactory();
        var faults = new FaultInjectingObjectStore(store, 5);
        var db = await OpenAsync(faults, Tolerant, seed: 2, logs: logs);
        Assert.Equal(V(3), await db.GetAsync(K(3)));
        Assert.Null(await db.GetAsync(K(4)));
        Assert.True(logs.Contains("WAL store holds ids only up to 4"), string.Join("\n", logs.Messages));
        Assert.Equal((7UL, (long)WalFenceObject.Length), (await WalObjectsAsync(store))[^1]);   // no id is used twice
        Assert.Equal(7UL, (await LatestManifestAsync(store)).Value.ReplayAfterWalId);
        await db.PutAsync(K(9), V(9), NoWait);
        await db.FlushAsync();                                                            // wal 8
        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());

        await using var strict = await OpenAsync(store, seed: 3);
        Assert.Equal(V(3), await strict.GetAsync(K(3)));
        Assert.Equal(V(9), await strict.GetAsync(K(9)));
    }

    [Fact]
    public async Task A_wal_store_emptied_after_everything_was_flushed_to_l0_is_not_an_error()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        await db.CloseAsync();
        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.True(manifest.ReplayAfterWalId >= manifest.NextWalSstId - 1);
        foreach (var (id, _) in await WalObjectsAsync(store))
        {
            await store.DeleteAsync(WalPath(id));
        }

        await using var reopened = await OpenAsync(store, seed: 2);
        Assert.Equal(V(1), await reopened.GetAsync(K(1)));
    }

    [Fact]
    public async Task Strict_replay_applies_no_row_of_an_object_before_all_of_it_verifies()
    {
        var store = await OneWalObjectWithACorruptLastBlockAsync();
        var paths = new DbPaths(DbPath);
        var fenceable = await FenceableManifest.ClaimWriterAsync(new ManifestStore(store, DbPath));
        var services = new EngineServices(DbPath, new Settings { L0SstSizeBytes = 4096 }, Clock(), new DbRandom(2), NullLogger.Instance);
        var engine = new DbEngine(services, paths, store, store, fenceable);
        try
        {
            var listed = await WalFence.ListAsync(store, paths, 0, CancellationToken.None);
            var range = WalRange.Check(listed, 0, 1, "manifest", WalRecoveryMode.Strict, paths, store.Uri, adoptingWalStore: false);
            var replayer = new WalReplayer(store, paths, services, fenceable, engine.WriteLoop, engine.WaitForRoomAsync);

            var e = await Assert.ThrowsAsync<CorruptionException>(() => replayer.ReplayAsync(range, 3, 0, listed, CancellationToken.None));
            Assert.Equal(WalPath(2), e.ObjectPath);
            Assert.Equal(0UL, engine.WriteLoop.LastSeq);   // not one row of the object reached a memtable
        }
        finally
        {
            await engine.AbortAsync();
        }
    }

    [Fact]
    public async Task A_strict_open_failing_on_the_last_block_of_an_object_leaves_no_l0_sst_behind()
    {
        var store = await OneWalObjectWithACorruptLastBlockAsync();
        var compactedBefore = await ListAsync(store, "db/compacted/");

        // Small memtables: replaying the object's first batches would freeze memtables long before its last block.
        var small = new Settings { L0SstSizeBytes = 4096, BlockSize = 1024, ManifestPollInterval = TimeSpan.FromHours(1) };
        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, small, seed: 2));
        Assert.Equal(WalPath(2), e.ObjectPath);

        Assert.Equal(compactedBefore, await ListAsync(store, "db/compacted/"));
        var manifest = (await LatestManifestAsync(store)).Value;
        Assert.Empty(manifest.L0);
        Assert.Equal(0UL, manifest.ReplayAfterWalId);
    }

    // wal 1 = fence, wal 2 = 300 batches in many 1 KiB blocks, the last of them damaged; the writer crashed.
    private static async Task<InMemoryObjectStore> OneWalObjectWithACorruptLastBlockAsync()
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, 1);
        var db = await OpenAsync(faults, new Settings { BlockSize = 1024, ManifestPollInterval = TimeSpan.FromHours(1) });
        for (var i = 0; i < 300; i++)
        {
            await db.PutAsync(K(i), new byte[300], NoWait);
        }

        await db.FlushAsync();
        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());
        Assert.Equal([1UL, 2UL], (await WalObjectsAsync(store)).Select(w => w.Id));

        var bytes = (await store.GetAsync(WalPath(2))).Bytes.ToArray();
        var footer = bytes.AsSpan(bytes.Length - SstFormat.FooterLength);
        var indexOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(footer[12..]);   // no filter: data blocks end here
        Assert.True(indexOffset > 64 * 1024, $"the WAL object's data blocks end at {indexOffset}");
        bytes[indexOffset - SstFormat.BlockTrailerLength - 10] ^= 0x5A;
        await store.PutAsync(WalPath(2), bytes, PutMode.Overwrite);
        return store;
    }

    // wal 1 = fence, wal 2..6 = K(1)..K(5), each a durable put of its own; the writer then crashes (no close).
    private static async Task<InMemoryObjectStore> FiveDurablePutsAsync()
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, 1);
        var db = await OpenAsync(faults);
        for (var i = 1; i <= 5; i++)
        {
            var put = db.PutAsync(K(i), V(i));
            await db.FlushAsync();
            await put;
        }

        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], (await WalObjectsAsync(store)).Select(w => w.Id));
        return store;
    }

    private static Task<Versioned<ManifestData>> RecordNextWalIdAsync(InMemoryObjectStore store, ulong next)
        => new ManifestStore(store, DbPath).UpdateAsync(latest =>
        {
            var manifest = latest.Value.Clone();
            manifest.NextWalSstId = next;
            return manifest;
        });

    // Every object of the store with its size and checksum.
    private static async Task<List<string>> SnapshotAsync(InMemoryObjectStore store)
    {
        var objects = new List<string>();
        foreach (var meta in await ListAsync(store, DbPath + "/"))
        {
            var bytes = (await store.GetAsync(meta.Path)).Bytes;
            objects.Add($"{meta.Path} {meta.Size} {Crc32C.Compute(bytes.Span):X8}");
        }

        return objects;
    }
}
