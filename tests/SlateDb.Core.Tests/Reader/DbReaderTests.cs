using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Checkpoints;
using SlateDb.ObjectStore;
using SlateDb.Reader;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Reader;

/// <summary>DbReader: following (WAL and L0), durability, no fencing, its checkpoint, pinned views, separate WAL stores.</summary>
public sealed class DbReaderTests
{
    internal static DbReaderOptions Following(FakeTimeProvider clock, IObjectStore? walStore = null) => new()
    {
        TimeProvider = clock,
        Seed = 7,
        WalObjectStore = walStore,
        ManifestPollInterval = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task A_following_reader_sees_durable_wal_writes_after_refresh_and_never_unflushed_ones()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        await using var reader = await DbReader.OpenAsync(DbPath, store, Following(clock));
        Assert.Equal(V(1), await reader.GetAsync(K(1)));

        await db.PutAsync(K(2), V(2), NoWait);
        await db.DeleteAsync(K(1), NoWait);
        await db.FlushAsync();
        await db.PutAsync(K(3), V(3), NoWait);   // applied, not durable
        await reader.RefreshAsync();

        Assert.Null(await reader.GetAsync(K(1)));
        Assert.Equal(V(2), await reader.GetAsync(K(2)));
        Assert.Null(await reader.GetAsync(K(3)));
        Assert.Null(await reader.GetAsync(K(3), Remote));
        Assert.Equal(V(3), await db.GetAsync(K(3)));   // the writer itself sees it
    }

    [Fact]
    public async Task A_following_reader_sees_writes_flushed_to_l0_and_drops_the_memtables_l0_holds()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        await using var reader = await DbReader.OpenAsync(DbPath, store, Following(clock));
        for (var i = 0; i < 20; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync();
        await reader.RefreshAsync();
        Assert.False(ReaderState(reader).Active.IsEmpty);

        await db.FlushAsync(FlushType.MemTable);
        await reader.RefreshAsync();

        var state = ReaderState(reader);
        Assert.True(state.Active.IsEmpty);
        Assert.Empty(state.Immutables);
        Assert.NotEmpty(state.L0);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(V(i), await reader.GetAsync(K(i)));
        }
    }

    [Fact]
    public async Task A_reader_never_fences_the_writer_nor_writes_wal_objects()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        var walBefore = await WalObjectsAsync(store);
        var epochBefore = (await LatestManifestAsync(store)).Value.WriterEpoch;

        await using (var reader = await DbReader.OpenAsync(DbPath, store, Following(clock)))
        {
            await db.PutAsync(K(2), V(2), NoWait);
            await db.FlushAsync(FlushType.MemTable);
            await reader.RefreshAsync();
            Assert.Equal(V(2), await reader.GetAsync(K(2)));
        }

        await db.PutAsync(K(3), V(3), NoWait);
        await db.FlushAsync();   // would throw FencedException had the reader fenced
        Assert.Equal(epochBefore, (await LatestManifestAsync(store)).Value.WriterEpoch);
        var walAfter = await WalObjectsAsync(store);
        Assert.Equal(walBefore, walAfter.Take(walBefore.Count));
        Assert.Equal(walAfter.Count, walBefore.Count + 2);   // the writer's two flushes, nothing of the reader's
    }

    [Fact]
    public async Task A_following_reader_keeps_a_checkpoint_that_moves_with_l0_and_is_deleted_on_dispose()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        var reader = await DbReader.OpenAsync(DbPath, store, Following(clock));
        var first = reader.CheckpointId!.Value;
        var latest = (await LatestManifestAsync(store)).Value;
        var entry = ManifestCheckpoints.Find(latest, first)!;
        Assert.Equal(ReaderCheckpoint.Name, entry.Name);
        Assert.Equal(reader.ManifestId, entry.ManifestId);

        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await reader.RefreshAsync();

        var second = reader.CheckpointId!.Value;
        Assert.NotEqual(first, second);
        latest = (await LatestManifestAsync(store)).Value;
        Assert.Null(ManifestCheckpoints.Find(latest, first));
        Assert.Equal(reader.ManifestId, ManifestCheckpoints.Find(latest, second)!.ManifestId);

        await reader.DisposeAsync();
        Assert.Empty((await LatestManifestAsync(store)).Value.Checkpoints);
        await Assert.ThrowsAsync<DbClosedException>(async () => await reader.GetAsync(K(1)));
    }

    [Fact]
    public async Task A_following_reader_polls_on_its_clock()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        await using var reader = await DbReader.OpenAsync(DbPath, store, Following(clock));
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        var through = reader.LastWalId;

        clock.Advance(TimeSpan.FromSeconds(1));
        await EventuallyAsync(() => reader.LastWalId > through, "the reader's poll replayed the new WAL object");
        Assert.Equal(V(1), await reader.GetAsync(K(1)));
    }

    [Fact]
    public async Task A_pinned_reader_keeps_its_view_across_writes_and_memtable_flushes()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync();
        var cp = await db.CreateCheckpointAsync(CheckpointScope.Durable);
        await using var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { CheckpointId = cp.Id, TimeProvider = clock });

        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.DeleteAsync(K(2), NoWait);
        await db.PutAsync(K(3), V(3), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await reader.RefreshAsync();
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(cp.ManifestId, reader.ManifestId);
        Assert.Equal(V(1), await reader.GetAsync(K(1)));
        Assert.Equal(V(2), await reader.GetAsync(K(2)));
        Assert.Null(await reader.GetAsync(K(3)));
        await using var scan = reader.ScanAsync(KeyRange.All);
        await scan.SeekAsync(K(2));
        var kv = await scan.NextAsync();
        Assert.Equal(K(2), kv!.Value.Key.ToArray());
        Assert.Null(await scan.NextAsync());
        await Assert.ThrowsAsync<SlateDbException>(() => reader.PromoteAsync());
    }

    [Fact]
    public async Task A_reader_of_a_database_with_a_separate_wal_store_needs_that_store()
    {
        var store = new InMemoryObjectStore();
        var walStore = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock, walStore: walStore);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();

        await using (var reader = await DbReader.OpenAsync(DbPath, store, Following(clock, walStore)))
        {
            Assert.Equal(V(1), await reader.GetAsync(K(1)));
            await db.PutAsync(K(2), V(2), NoWait);
            await db.FlushAsync();
            await reader.RefreshAsync();
            Assert.Equal(V(2), await reader.GetAsync(K(2)));
        }

        var missing = await Assert.ThrowsAsync<SlateDbException>(() => DbReader.OpenAsync(DbPath, store, Following(clock)));
        Assert.Contains(walStore.Uri, missing.Message, StringComparison.Ordinal);
        var other = new InMemoryObjectStore();
        var wrong = await Assert.ThrowsAsync<SlateDbException>(() => DbReader.OpenAsync(DbPath, store, Following(clock, other)));
        Assert.Contains(other.Uri, wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_reader_names_what_is_missing()
    {
        var store = new InMemoryObjectStore();
        var none = await Assert.ThrowsAsync<SlateDbException>(() => DbReader.OpenAsync(DbPath, store));
        Assert.Contains("no database", none.Message, StringComparison.Ordinal);

        await using (var db = await OpenAsync(store))
        {
            await db.PutAsync(K(1), V(1), NoWait);
        }

        var id = Guid.NewGuid();
        var unknown = await Assert.ThrowsAsync<SlateDbException>(() => DbReader.OpenAsync(DbPath, store, new DbReaderOptions { CheckpointId = id }));
        Assert.Contains(id.ToString(), unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => DbReader.OpenAsync(
            DbPath, store, new DbReaderOptions { ManifestPollInterval = TimeSpan.FromMinutes(6), CheckpointLifetime = TimeSpan.FromMinutes(10) }));
    }

    [Fact]
    public async Task A_reader_scans_with_seek_in_key_order()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        for (var i = 0; i < 10; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
            if (i == 4)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }

        await db.FlushAsync();
        await using var reader = await DbReader.OpenAsync(DbPath, store, Following(clock));
        var keys = new List<string>();
        await using (var scan = reader.ScanAsync(KeyRange.All))
        {
            await scan.SeekAsync(K(3));
            await foreach (var kv in scan)
            {
                keys.Add(Encoding.UTF8.GetString(kv.Key.Span));
            }
        }

        Assert.Equal(Enumerable.Range(3, 7).Select(i => Encoding.UTF8.GetString(K(i))), keys);
    }

    private static SlateDb.Read.DbState ReaderState(DbReader reader) => reader.Engine.State.Current;
}
