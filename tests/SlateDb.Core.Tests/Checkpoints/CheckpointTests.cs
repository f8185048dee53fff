using SlateDb.Checkpoints;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Checkpoints;

/// <summary>Db.CreateCheckpointAsync: what each scope pins, sources, lifetimes, and rule D under racing writers.</summary>
public sealed class CheckpointTests
{
    [Fact]
    public async Task A_full_checkpoint_pins_a_manifest_with_every_write_in_l0_and_no_wal_left_to_replay()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        for (var i = 0; i < 10; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
            await db.FlushAsync();
        }

        var cp = await db.CreateCheckpointAsync(CheckpointScope.All);

        var pinned = (await new ManifestStore(store, DbPath).ReadAsync(cp.ManifestId)).Value;
        var entry = Assert.Single(pinned.Checkpoints);
        Assert.Equal(cp.Id, entry.Id.ToGuid());
        Assert.Equal(cp.ManifestId, entry.ManifestId);
        Assert.False(entry.HasExpireTimeS);
        Assert.Equal(10UL, pinned.LastL0Seq);
        Assert.NotEmpty(pinned.L0);
        var wal = await WalObjectsAsync(store);
        Assert.Equal(wal[^1].Id + 1, pinned.NextWalSstId);
        Assert.Equal(pinned.NextWalSstId - 1, pinned.ReplayAfterWalId);
    }

    [Fact]
    public async Task A_durable_checkpoint_flushes_nothing_and_its_wal_range_ends_at_the_last_stored_object()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync();

        var cp = await db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Name = "nightly" });

        var pinned = (await new ManifestStore(store, DbPath).ReadAsync(cp.ManifestId)).Value;
        Assert.Empty(pinned.L0);
        var wal = await WalObjectsAsync(store);
        Assert.Equal(wal[^1].Id + 1, pinned.NextWalSstId);
        Assert.True(pinned.ReplayAfterWalId < wal[^2].Id);     // both data objects are still in the range
        Assert.Equal("nightly", Assert.Single(pinned.Checkpoints).Name);
    }

    [Fact]
    public async Task A_checkpoint_from_a_source_pins_the_sources_manifest_and_an_unknown_source_changes_nothing()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        var first = await db.CreateCheckpointAsync(CheckpointScope.All);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync(FlushType.MemTable);

        var second = await db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Source = first.Id });
        Assert.Equal(first.ManifestId, second.ManifestId);
        Assert.NotEqual(first.Id, second.Id);

        var before = await LatestManifestAsync(store);
        var unknown = Guid.Parse("0b7d1c8e-2f5a-4c43-9d1e-3a6b5c4d2e1f");
        var e = await Assert.ThrowsAsync<SlateDbException>(() => db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Source = unknown }));
        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains(unknown.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Equal(before.Id, (await LatestManifestAsync(store)).Id);
    }

    [Fact]
    public async Task Lifetimes_round_up_to_whole_seconds_and_bad_options_are_refused_before_anything_is_written()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        time.Advance(TimeSpan.FromMilliseconds(250));
        await using var db = await OpenAsync(store, time: time);

        var cp = await db.CreateCheckpointAsync(CheckpointScope.Durable, new CheckpointOptions { Lifetime = TimeSpan.FromSeconds(1.5) });
        var info = ManifestCheckpoints.List((await LatestManifestAsync(store)).Value).Single(c => c.Id == cp.Id);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), info.CreateTime.ToUnixTimeSeconds());
        Assert.Equal(TimeSpan.FromSeconds(2), info.ExpireTime - info.CreateTime);

        var latest = (await LatestManifestAsync(store)).Id;
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Lifetime = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentException>(() => db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Name = "" }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.CreateCheckpointAsync((CheckpointScope)7));
        Assert.Equal(latest, (await LatestManifestAsync(store)).Id);
    }

    [Fact]
    public async Task A_closed_database_refuses_checkpoints()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store);
        await db.CloseAsync();
        await Assert.ThrowsAsync<DbClosedException>(() => db.CreateCheckpointAsync(CheckpointScope.All));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Writers_racing_full_checkpoints_lose_nothing_acknowledged_when_the_writer_then_crashes(int seed)
    {
        var store = new InMemoryObjectStore();
        var faults = new FaultInjectingObjectStore(store, seed);
        var db = await OpenAsync(faults, seed: seed);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<int, byte[]>();
        using var stop = new CancellationTokenSource();
        using var acks = new SemaphoreSlim(0);

        async Task WriteAsync(int writer)
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var key = (writer * 100_000) + n;
                await db.PutAsync(K(key), V(key), NoWait);
                await db.FlushAsync();
                acknowledged[key] = V(key);
                acks.Release();
            }
        }

        var writers = Enumerable.Range(1, 3).Select(w => Task.Run(() => WriteAsync(w))).ToArray();
        for (var i = 0; i < 8; i++)
        {
            for (var a = 0; a < 5; a++)
            {
                await acks.WaitAsync();     // some writes land between checkpoints
            }

            await db.CreateCheckpointAsync(CheckpointScope.All);
            var manifest = (await LatestManifestAsync(store)).Value;
            Assert.True(manifest.ReplayAfterWalId <= manifest.NextWalSstId - 1);
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        faults.Crash();

        await using var reopened = await OpenAsync(store, seed: seed + 10);
        Assert.NotEmpty(acknowledged);
        foreach (var (key, value) in acknowledged)
        {
            Assert.Equal(value, await reopened.GetAsync(K(key)));
        }
    }
}
