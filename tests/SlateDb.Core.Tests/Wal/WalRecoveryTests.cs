using SlateDb.ObjectStore;
using SlateDb.Wal;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Wal;

public sealed class WalRecoveryTests
{
    internal static readonly Settings Tolerant = new()
    {
        WalRecoveryMode = WalRecoveryMode.TolerateCorruptTail,
        ManifestPollInterval = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task Strict_recovery_fails_naming_a_corrupt_wal_object()
    {
        var store = await ThreeWalObjectsAsync();
        await DamageAsync(store, 3, Flip);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(3), e.ObjectPath);
        Assert.Contains("Strict", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Strict_recovery_fails_on_a_truncated_wal_object()
    {
        var store = await ThreeWalObjectsAsync();
        await DamageAsync(store, 4, bytes => bytes[..(bytes.Length / 2)]);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(4), e.ObjectPath);
    }

    [Fact]
    public async Task Tolerant_recovery_drops_a_corrupt_last_object_reports_it_and_seals_it_away()
    {
        var store = await ThreeWalObjectsAsync();
        await DamageAsync(store, 4, Flip);
        var logs = new Db.CapturingLoggerFactory();
        long dropped = 0;
        using var listener = Listen("slatedb.wal.dropped_objects", v => Interlocked.Add(ref dropped, v));

        await using (var db = await OpenAsync(store, Tolerant, seed: 2, logs: logs))
        {
            Assert.Equal(V(1), await db.GetAsync(K(1)));
            Assert.Equal(V(2), await db.GetAsync(K(2)));
            Assert.Null(await db.GetAsync(K(3)));
            Assert.True(logs.Contains($"dropped the corrupt WAL tail object {WalPath(4)}"), string.Join("\n", logs.Messages));
            Assert.True(Interlocked.Read(ref dropped) >= 1);
            await db.PutAsync(K(4), V(4), NoWait);
        }

        // The dropped object is behind the replay watermark now, so even a strict open no longer reads it.
        Assert.True((await LatestManifestAsync(store)).Value.ReplayAfterWalId >= 5);
        await using var strict = await OpenAsync(store, seed: 3);
        Assert.Equal(V(2), await strict.GetAsync(K(2)));
        Assert.Equal(V(4), await strict.GetAsync(K(4)));
    }

    [Fact]
    public async Task Tolerant_recovery_still_fails_when_later_wal_data_follows_the_corrupt_object()
    {
        var store = await ThreeWalObjectsAsync();
        await DamageAsync(store, 3, Flip);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, Tolerant, seed: 2));
        Assert.Equal(WalPath(3), e.ObjectPath);
        Assert.Contains(WalPath(4), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_wal_object_inside_the_range_is_corruption()
    {
        var store = await ThreeWalObjectsAsync();
        await store.DeleteAsync(WalPath(3));

        var e = await Assert.ThrowsAsync<CorruptionException>(() => OpenAsync(store, seed: 2));
        Assert.Equal(WalPath(3), e.ObjectPath);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fences_in_the_range_are_replayed_as_empty_objects()
    {
        var store = await ThreeWalObjectsAsync();
        for (var seed = 2; seed < 5; seed++)
        {
            // Opens that write nothing and stop without closing leave only their fences behind.
            var faults = new FaultInjectingObjectStore(store, seed);
            var db = await OpenAsync(faults, seed: seed);
            Assert.Equal(V(3), await db.GetAsync(K(3)));
            faults.Crash();
            await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());
        }

        var wal = await WalObjectsAsync(store);
        Assert.True(wal.Count(w => w.Size == WalFenceObject.Length) >= 4, string.Join(", ", wal));
        await using var last = await OpenAsync(store, seed: 9);
        Assert.Equal(V(1), await last.GetAsync(K(1)));
        Assert.Equal(V(3), await last.GetAsync(K(3)));
    }

    // wal 1 fence, wal 2 = K1, wal 3 = K2, wal 4 = K3; nothing in L0 (the writer stops without closing).
    private static async Task<InMemoryObjectStore> ThreeWalObjectsAsync()
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, 1);
        var db = await OpenAsync(faults);
        for (var i = 1; i <= 3; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
            await db.FlushAsync();
        }

        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => db.CloseAsync());
        Assert.Equal([1UL, 2UL, 3UL, 4UL], (await WalObjectsAsync(store)).Select(w => w.Id));
        return store;
    }

    private static async Task DamageAsync(InMemoryObjectStore store, ulong walId, Func<byte[], byte[]> damage)
    {
        var bytes = (await store.GetAsync(WalPath(walId))).Bytes.ToArray();
        await store.PutAsync(WalPath(walId), damage(bytes), PutMode.Overwrite);
    }

    private static byte[] Flip(byte[] bytes)
    {
        bytes[bytes.Length / 3] ^= 0x5A;
        return bytes;
    }
}
