using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

public class SstReaderStoreTests
{
    private const string Path = "compacted/01TEST.sst";

    private static async Task<(CountingObjectStore Store, SstBuildResult Sst)> StoreAsync(int rows, int blockSize = 4096, CompressionCodec codec = CompressionCodec.None)
    {
        var sst = Build(Enumerable.Range(0, rows).Select(i => Put(NumberKey(i), 1, new string('v', 100))), new SstWriterOptions { BlockSize = blockSize, Compression = codec });
        var store = new CountingObjectStore(new InMemoryObjectStore());
        await store.PutAsync(Path, sst.Data, PutMode.Create);
        return (store, sst);
    }

    [Fact]
    public async Task OpeningASmallSstTakesAHeadAndOneGet()
    {
        var (store, sst) = await StoreAsync(2000);
        var reader = await SstReader.OpenAsync(store, Path);
        Assert.Equal((1, 1), (store.Heads, store.Gets));
        Assert.True(reader.HasFilter);
        Assert.Equal(sst.Info.Size, reader.Info.Size);

        store.Reset();
        await SstReader.OpenAsync(store, Path, sst.Data.Length);
        Assert.Equal((0, 1), (store.Heads, store.Gets));
    }

    [Fact]
    public async Task OpeningALargeSstReadsTheMetadataWithOneMoreGet()
    {
        var (store, _) = await StoreAsync(100_000, blockSize: 1024);
        var reader = await SstReader.OpenAsync(store, Path);
        Assert.Equal((1, 2), (store.Heads, store.Gets));
        Assert.Equal(100_000, reader.Info.RowCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(64)]
    public async Task IterationIssuesOneGetPerBlockGroup(int readAhead)
    {
        var (store, _) = await StoreAsync(3000, codec: CompressionCodec.Zstd);
        var reader = await SstReader.OpenAsync(store, Path);
        store.Reset();
        var rows = await ReadAllAsync(reader, options: new SstReadOptions { ReadAheadBlocks = readAhead, CacheBlocks = false });
        Assert.Equal(3000, rows.Count);
        Assert.Equal((reader.BlockCount + readAhead - 1) / readAhead, store.Gets);
    }

    [Fact]
    public async Task ARangeReadsOnlyTheBlocksItNeeds()
    {
        var (store, _) = await StoreAsync(3000);
        var reader = await SstReader.OpenAsync(store, Path);
        store.Reset();
        var rows = await ReadAllAsync(reader, KeyRange.Between(NumberKey(1000), NumberKey(1010)), new SstReadOptions { ReadAheadBlocks = 16 });
        Assert.Equal(10, rows.Count);
        Assert.InRange(store.Gets, 1, 2);
    }

    [Fact]
    public async Task ARangeOutsideTheSstReadsNothing()
    {
        var (store, _) = await StoreAsync(3000);
        var reader = await SstReader.OpenAsync(store, Path);
        store.Reset();
        Assert.Empty(await ReadAllAsync(reader, KeyRange.Between(SstTestKit.Key("a"), NumberKey(0))));
        Assert.Empty(await ReadAllAsync(reader, KeyRange.From(NumberKey(3000))));
        Assert.Empty(await ReadAllAsync(reader, KeyRange.Prefix(SstTestKit.Key("other"))));
        Assert.Equal(0, store.Gets);
    }

    [Fact]
    public async Task ReadAheadSkipsCachedBlocks()
    {
        var (store, _) = await StoreAsync(3000);
        var cache = new BlockCache(64 * 1024 * 1024);
        var reader = await SstReader.OpenAsync(store, Path, cache);
        Assert.NotNull(await reader.GetAsync(NumberKey(1500), 1));
        var cachedBlock = reader.Index.FindFirstBlock(NumberKey(1500));
        store.Reset();
        Assert.Equal(3000, (await ReadAllAsync(reader, options: new SstReadOptions { ReadAheadBlocks = 1000 })).Count);
        Assert.Equal(2, store.Gets);
        Assert.True(cachedBlock > 0 && cachedBlock < reader.BlockCount - 1);
    }

    [Fact]
    public async Task BlocksComeFromTheCacheTheSecondTime()
    {
        var (store, _) = await StoreAsync(3000);
        var cache = new BlockCache(64 * 1024 * 1024);
        var reader = await SstReader.OpenAsync(store, Path, cache);
        store.Reset();
        Assert.NotNull(await reader.GetAsync(NumberKey(1234), 1));
        Assert.Equal(1, store.Gets);
        Assert.NotNull(await reader.GetAsync(NumberKey(1235), 1));
        Assert.Equal(1, store.Gets);
        Assert.True(cache.Hits >= 1);

        store.Reset();
        await ReadAllAsync(reader, options: new SstReadOptions { ReadAheadBlocks = 8 });
        var gets = store.Gets;
        Assert.Equal(reader.BlockCount, cache.Count);
        store.Reset();
        Assert.Equal(3000, (await ReadAllAsync(reader)).Count);
        Assert.Equal(0, store.Gets);
        Assert.True(gets > 0);

        cache.Remove(SstReader.CacheIdOf(store, Path));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.SizeBytes);
    }

    [Fact]
    public async Task ReadersOfOtherStoresDoNotShareCachedBlocks()
    {
        var cache = new BlockCache(64 * 1024 * 1024);
        var (a, _) = await StoreAsync(100);
        var (b, _) = await StoreAsync(200);
        var readerA = await SstReader.OpenAsync(a, Path, cache);
        var readerB = await SstReader.OpenAsync(b, Path, cache);
        Assert.Equal(100, (await ReadAllAsync(readerA)).Count);
        Assert.Equal(200, (await ReadAllAsync(readerB)).Count);
    }

    [Fact]
    public async Task AMissingObjectIsNotFound()
    {
        var store = new InMemoryObjectStore();
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => SstReader.OpenAsync(store, "compacted/missing.sst"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public async Task ATooSmallObjectIsCorrupt(int size)
    {
        var store = new InMemoryObjectStore();
        await store.PutAsync("wal/00000000000000000001.sst", new byte[size], PutMode.Create);
        var e = await Assert.ThrowsAsync<CorruptionException>(() => SstReader.OpenAsync(store, "wal/00000000000000000001.sst"));
        Assert.Equal("wal/00000000000000000001.sst", e.ObjectPath);
        Assert.Contains("footer", e.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task AFailedReadCanBeRetried(int readAhead)
    {
        var (store, sst) = await StoreAsync(3000);
        var flaky = new FlakyObjectStore(store);
        var reader = await SstReader.OpenAsync(flaky, Path, sst.Data.Length);
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { ReadAheadBlocks = readAhead, CacheBlocks = false });
        var rows = 0;
        var failures = 0;
        var armedAt = -1;
        while (true)
        {
            if (rows % 500 == 17 && armedAt != rows)
            {
                flaky.FailNext = true;   // the next GET (at the next block boundary) fails
                armedAt = rows;
            }

            bool moved;
            try
            {
                moved = await iterator.MoveNextAsync();
            }
            catch (ObjectStoreException e) when (e.IsTransient)
            {
                failures++;
                continue;
            }

            if (!moved)
            {
                break;
            }

            Assert.True(iterator.Current.Key.Span.SequenceEqual(NumberKey(rows)), $"row {rows} after {failures} failures");
            rows++;
        }

        Assert.Equal(3000, rows);
        Assert.True(failures > 0);
    }

    [Fact]
    public async Task StoreErrorsPassThrough()
    {
        var (store, sst) = await StoreAsync(100);
        var reader = await SstReader.OpenAsync(store, Path, sst.Data.Length);
        await store.DeleteAsync(Path);
        await Assert.ThrowsAsync<ObjectNotFoundException>(async () => await reader.GetAsync(NumberKey(5), 1));
    }
}
