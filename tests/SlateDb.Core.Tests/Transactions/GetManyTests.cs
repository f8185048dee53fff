using System.Text;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using SlateDb.Core.Tests.Db;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Transactions;

public sealed class GetManyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_batched_get_equals_one_get_per_key_across_memtables_l0_and_a_sorted_run(int seed)
    {
        var store = await StoreWithSortedRunAsync();
        var random = new Random(seed);
        await using var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromHours(1), BlockSize = 256, MinFilterKeys = 1 }, seed: seed);
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 60; i++)
            {
                var key = random.Next(260);
                if (random.Next(4) == 0)
                {
                    await db.DeleteAsync(K(key), NoWait);
                }
                else
                {
                    await db.PutAsync(K(key), V(key, 10 + round), NoWait);
                }
            }

            if (round < 2)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }

        await using var snapshot = db.Snapshot();
        await db.PutAsync(K(1), V(1, 99), NoWait);
        for (var trial = 0; trial < 20; trial++)
        {
            // Present and missing keys, duplicates, in any order.
            var keys = Enumerable.Range(0, random.Next(1, 120)).Select(_ => (ReadOnlyMemory<byte>)K(random.Next(300))).ToList();
            var many = await db.GetManyAsync(keys);
            var atSnapshot = await snapshot.GetManyAsync(keys);
            Assert.Equal(keys.Count, many.Length);
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.Equal(await db.GetAsync(keys[i]), many[i]);
                Assert.Equal(await snapshot.GetAsync(keys[i]), atSnapshot[i]);
            }
        }

        Assert.Empty(await db.GetManyAsync([]));
        var duplicates = await db.GetManyAsync([K(1), K(1)]);
        Assert.Equal(V(1, 99), duplicates[0]);
        Assert.NotSame(duplicates[0], duplicates[1]);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => db.GetManyAsync([K(1), ReadOnlyMemory<byte>.Empty]));
        Assert.Contains("keys[1]", bad.ParamName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batched_get_on_cold_data_makes_fewer_store_requests_than_one_get_per_key()
    {
        var store = new InMemoryObjectStore();
        await using (var writer = await OpenAsync(store))
        {
            for (var i = 0; i < 3000; i++)
            {
                await writer.PutAsync(K(i), Encoding.UTF8.GetBytes(new string('v', 100) + i), NoWait);
            }

            await writer.FlushAsync(FlushType.MemTable);
        }

        var random = new Random(7);
        var keys = Enumerable.Range(0, 100).Select(_ => (ReadOnlyMemory<byte>)K(random.Next(3200))).ToList();

        var (oneByOne, singleGets) = await ColdReadAsync(store, async db =>
        {
            var values = new byte[]?[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                values[i] = await db.GetAsync(keys[i]);
            }

            return values;
        });
        var (batched, batchGets) = await ColdReadAsync(store, db => db.GetManyAsync(keys));

        Assert.Equal(oneByOne, batched);
        Assert.True(
            batchGets * 4 <= singleGets,
            $"The batched get made {batchGets} GETs, one get per key {singleGets}: adjacent blocks should share ranged GETs.");
    }

    [Fact]
    public async Task A_reader_batched_get_equals_its_gets_over_its_memtables_and_l0()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, time: clock);
        for (var i = 0; i < 40; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(3), V(3, 2), NoWait);
        await db.DeleteAsync(K(4), NoWait);
        await db.PutAsync(K(50), V(50), NoWait);
        await db.FlushAsync();                     // in the WAL only: the reader replays it into its memtable
        await using var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { TimeProvider = clock, Seed = 7 });

        List<ReadOnlyMemory<byte>> keys = [K(3), K(4), K(50), K(7), K(99), K(3)];
        var many = await reader.GetManyAsync(keys);

        for (var i = 0; i < keys.Count; i++)
        {
            Assert.Equal(await reader.GetAsync(keys[i]), many[i]);
        }

        Assert.Equal(V(3, 2), many[0]);
        Assert.Null(many[1]);
    }

    // Opens the database afresh (cold caches) and counts the GETs `read` makes.
    private static async Task<(byte[]?[] Values, long Gets)> ColdReadAsync(IObjectStore store, Func<SlateDb.Db, Task<byte[]?[]>> read)
    {
        var counted = new InstrumentedObjectStore(store);
        await using var db = await OpenAsync(counted, seed: Random.Shared.Next());
        counted.Reset();
        var values = await read(db);
        return (values, counted.Snapshot().Gets);
    }

    // A sorted run of keys 0..199 in three tables with 256-byte blocks; keys divisible by 7 have five versions (seqs
    // 5..1), so their versions cross block boundaries.
    private static Task<InMemoryObjectStore> StoreWithSortedRunAsync()
        => SortedRunKit.StoreWithSortedRunAsync(
            [.. Enumerable.Range(0, 3).Select(t => (IReadOnlyList<Row>)[.. Enumerable.Range(t * 67, Math.Min(67, 200 - (t * 67))).SelectMany(Versions)])],
            blockSize: 256);

    private static IEnumerable<Row> Versions(int i)
    {
        for (var v = i % 7 == 0 ? 5 : 1; v >= 1; v--)
        {
            yield return new Row(K(i), (ulong)v, RowKind.Put, V(i, v), 0);
        }
    }
}
