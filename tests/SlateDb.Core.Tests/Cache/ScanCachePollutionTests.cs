using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Cache;

/// <summary>A full scan does not push the point-read working set out of the block cache.</summary>
public sealed class ScanCachePollutionTests
{
    [Fact]
    public async Task A_full_scan_leaves_the_blocks_point_reads_use_in_the_cache()
    {
        var store = new InMemoryObjectStore();
        var settings = new Settings { ManifestPollInterval = TimeSpan.FromHours(1), BlockSize = 256, BlockCacheBytes = 64 * 1024, Gc = null };
        var db = await OpenAsync(store, settings);
        for (var i = 0; i < 5000; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);
        var cache = db.Engine.Tables.BlockCache!;
        int[] workingSet = [3, 1700, 4200];
        foreach (var i in workingSet)
        {
            Assert.Equal(V(i), await db.GetAsync(K(i)));
        }

        var scanned = 0;
        await foreach (var _ in db.ScanAsync(KeyRange.All))
        {
            scanned++;
        }

        // The scan read far more blocks than the cache holds; the working set is still all hits.
        Assert.Equal(5000, scanned);
        var misses = cache.Misses;
        foreach (var i in workingSet)
        {
            Assert.Equal(V(i), await db.GetAsync(K(i)));
        }

        Assert.Equal(misses, cache.Misses);
        Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
        await db.CloseAsync();
    }
}
