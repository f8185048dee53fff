using SlateDb.Cache;
using SlateDb.Format;
using Xunit;

namespace SlateDb.Core.Tests.Cache;

public class BlockCacheTests
{
    // A minimal valid block of about `size` bytes: one restart point at 0 and filler entry bytes.
    private static DataBlock Block(int index, int size = 1000)
    {
        var bytes = new byte[size];
        bytes[^4] = 1;
        return new DataBlock(bytes, "a.sst", index);
    }

    [Fact]
    public void FindsWhatWasAddedAndCountsHitsAndMisses()
    {
        var cache = new BlockCache(1 << 20);
        var block = Block(3);
        Assert.False(cache.TryGet("a", 3, out _));
        cache.Add("a", 3, block);
        Assert.True(cache.TryGet("a", 3, out var found));
        Assert.Same(block, found);
        Assert.False(cache.TryGet("a", 4, out _));
        Assert.False(cache.TryGet("b", 3, out _));
        Assert.Equal((1L, 3L), (cache.Hits, cache.Misses));
        Assert.Equal(block.MemorySize, cache.SizeBytes);
    }

    [Fact]
    public void StaysWithinItsCapacity()
    {
        var size = Block(0).MemorySize;
        var cache = new BlockCache(size * 10);
        for (var i = 0; i < 100; i++)
        {
            cache.Add("a", i, Block(i));
            Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
        }

        Assert.Equal(10, cache.Count);
        Assert.True(cache.TryGet("a", 99, out _), "the newest block is cached");
        Assert.False(cache.TryGet("a", 0, out _), "the oldest block is evicted");
    }

    [Fact]
    public void ReferencedBlocksGetASecondChance()
    {
        var size = Block(0).MemorySize;
        var cache = new BlockCache(size * 4);
        for (var i = 0; i < 4; i++)
        {
            cache.Add("a", i, Block(i));
        }

        Assert.True(cache.TryGet("a", 0, out _));
        cache.Add("a", 4, Block(4));   // evicts 1, the oldest not referenced
        Assert.True(cache.TryGet("a", 0, out _));
        Assert.False(cache.TryGet("a", 1, out _));
        Assert.True(cache.TryGet("a", 4, out _));
    }

    [Fact]
    public void SkipsBlocksLargerThanTheCacheAndDuplicates()
    {
        var cache = new BlockCache(500);
        cache.Add("a", 0, Block(0, 1000));
        Assert.Equal(0, cache.Count);

        var big = new BlockCache(1 << 20);
        var first = Block(0);
        big.Add("a", 0, first);
        big.Add("a", 0, Block(0));
        Assert.Equal(first.MemorySize, big.SizeBytes);
        Assert.True(big.TryGet("a", 0, out var found));
        Assert.Same(first, found);
    }

    [Fact]
    public void RemovedBlocksLeaveTheClockSoItDoesNotGrowWhileTheCacheHasRoom()
    {
        var cache = new BlockCache(1L << 30);
        for (var sst = 0; sst < 500; sst++)
        {
            for (var i = 0; i < 4; i++)
            {
                cache.Add($"s{sst}", i, Block(i));
            }

            cache.Add("kept", sst, Block(sst));
            cache.Remove($"s{sst}");
        }

        Assert.Equal(500, cache.Count);
        Assert.Equal(500, cache.ClockLength());
        Assert.Equal(500 * Block(0).MemorySize, cache.SizeBytes);
        cache.Remove("kept");
        Assert.Equal((0, 0, 0L), (cache.Count, cache.ClockLength(), cache.SizeBytes));
    }

    [Fact]
    public void EvictionAndRemovalInterleavedKeepTheListsConsistent()
    {
        var size = Block(0).MemorySize;
        var cache = new BlockCache(size * 8);
        var random = new Random(5);
        for (var step = 0; step < 5000; step++)
        {
            var sst = $"s{random.Next(6)}";
            if (random.Next(5) == 0)
            {
                cache.Remove(sst);
                Assert.DoesNotContain(Enumerable.Range(0, 10), i => cache.Contains(sst, i));
            }
            else
            {
                cache.Add(sst, random.Next(10), Block(0));
                cache.TryGet($"s{random.Next(6)}", random.Next(10), out _);
            }

            Assert.Equal(cache.Count, cache.ClockLength());
            Assert.Equal(cache.Count * size, cache.SizeBytes);
            Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
        }
    }

    [Fact]
    public void RemoveDropsOneSst()
    {
        var cache = new BlockCache(1 << 20);
        cache.Add("a", 0, Block(0));
        cache.Add("a", 1, Block(1));
        cache.Add("b", 0, Block(0));
        cache.Remove("a");
        Assert.False(cache.TryGet("a", 0, out _));
        Assert.False(cache.TryGet("a", 1, out _));
        Assert.True(cache.TryGet("b", 0, out _));
        Assert.Equal(Block(0).MemorySize, cache.SizeBytes);

        // Entries removed by Remove are skipped when the clock reaches them.
        for (var i = 0; i < 2000; i++)
        {
            cache.Add("c", i, Block(i));
        }

        Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
    }

    [Fact]
    public async Task ConcurrentUseKeepsTheAccountingExact()
    {
        var size = Block(0).MemorySize;
        var cache = new BlockCache(size * 50);
        var blocks = Enumerable.Range(0, 200).Select(i => Block(i)).ToArray();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 20_000; i++)
            {
                var b = random.Next(blocks.Length);
                if (!cache.TryGet("s", b, out var found))
                {
                    cache.Add("s", b, blocks[b]);
                }
                else
                {
                    Assert.Same(blocks[b], found);
                }
            }
        }));
        await Task.WhenAll(workers);
        Assert.Equal(cache.Count * size, cache.SizeBytes);
        Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
        Assert.Equal(80_000, cache.Hits + cache.Misses);
    }

    [Fact]
    public void AnSstViewSharesBlocksStatisticsAndEvictionWithTheCache()
    {
        var size = Block(0).MemorySize;
        var cache = new BlockCache(size * 4);
        var view = cache.ForSst("a", 10);
        var block = Block(2);
        Assert.False(view.TryGet(2, out _));
        view.Add(2, block);
        Assert.True(cache.TryGet("a", 2, out var viaCache));
        Assert.Same(block, viaCache);
        Assert.True(view.TryGet(2, out var viaHint));
        Assert.Same(block, viaHint);
        Assert.True(view.Contains(2));
        Assert.Equal((2L, 1L), (cache.Hits, cache.Misses));

        // A block another reader cached is found through the table, then through the hint.
        var other = Block(5);
        cache.Add("a", 5, other);
        Assert.True(view.TryGet(5, out var found) && ReferenceEquals(found, other));
        Assert.True(view.TryGet(5, out found) && ReferenceEquals(found, other));

        // Removing the SST's blocks leaves the hints stale: lookups miss.
        cache.Remove("a");
        Assert.False(view.Contains(2));
        Assert.False(view.TryGet(2, out _));
        Assert.False(view.TryGet(5, out _));
        Assert.Equal(0, cache.SizeBytes);

        // Eviction also reaches blocks found through hints.
        for (var i = 0; i < 10; i++)
        {
            view.Add(i, Block(i));
        }

        Assert.InRange(cache.SizeBytes, 0, cache.CapacityBytes);
        Assert.False(view.TryGet(0, out _), "the oldest block is evicted");
        Assert.True(view.TryGet(9, out _), "the newest block is cached");
    }
}
