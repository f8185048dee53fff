using SlateDb.Gc;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Gc.GcKit;

namespace SlateDb.Core.Tests.Reader;

/// <summary>Readers and garbage collection: what a reader reads is never collected under it.</summary>
public sealed class ReaderGcTests
{
    [Fact]
    public async Task Gc_keeps_the_ssts_a_following_reader_reads_until_it_moves_on_or_closes()
    {
        var clock = Clock();
        var store = new InMemoryObjectStore(null, clock);
        await using var db = await OpenAsync(store, time: clock);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        var reader = await DbReader.OpenAsync(DbPath, store, DbReaderTests.Following(clock));
        clock.Advance(TimeSpan.FromSeconds(1));                  // the rewritten SST's ULID is newer than the old one's
        var oldPath = await RewriteL0Async(db, store, clock);   // a compaction's effect: the latest no longer names it

        await Collector(store, clock).RunAsync(NoMinAge, CancellationToken.None);

        Assert.True(await ExistsAsync(store, oldPath));
        Assert.Equal(V(1), await reader.GetAsync(K(1)));
        await reader.RefreshAsync();                             // moves to the rewritten L0 and re-pins
        Assert.Equal(V(1), await reader.GetAsync(K(1)));
        await reader.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        await Collector(store, clock).RunAsync(NoMinAge, CancellationToken.None);
        Assert.False(await ExistsAsync(store, oldPath));
    }

    [Fact]
    public async Task A_pinned_reader_keeps_its_view_across_gc()
    {
        var clock = Clock();
        var store = new InMemoryObjectStore(null, clock);
        await using var db = await OpenAsync(store, time: clock);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        var cp = await db.CreateCheckpointAsync(CheckpointScope.Durable);
        await using var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { CheckpointId = cp.Id, TimeProvider = clock });
        clock.Advance(TimeSpan.FromSeconds(1));                  // the rewritten SST's ULID is newer than the old one's
        var oldPath = await RewriteL0Async(db, store, clock);
        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.FlushAsync(FlushType.MemTable);

        await Collector(store, clock).RunAsync(NoMinAge, CancellationToken.None);

        Assert.True(await ExistsAsync(store, oldPath));
        Assert.Equal(V(1), await reader.GetAsync(K(1)));
        Assert.Equal(V(1, 2), await db.GetAsync(K(1)));
    }

    private static GarbageCollector Collector(InMemoryObjectStore store, TimeProvider time)
    {
        var manifests = new ManifestStore(store, DbPath, time);
        return new GarbageCollector(store, store, manifests, GcManifestAccess.ForStore(manifests), time, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, pins: null);
    }
}
