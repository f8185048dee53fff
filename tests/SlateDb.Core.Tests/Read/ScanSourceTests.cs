using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Read;

/// <summary>
/// Scans over several L0 SSTs with disjoint and overlapping key ranges: an SST is only opened once the scan reaches its
/// first key, and the rows stay those of a scan that reads every source (newer versions, tombstones, range deletes).
/// </summary>
public sealed class ScanSourceTests
{
    [Fact]
    public async Task A_short_scan_opens_only_the_L0_SST_it_reads()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore("memory://scan"), recordLog: true);
        await using (var db = await OpenWithoutCompactorAsync(store))
        {
            for (var table = 0; table < 3; table++)
            {
                for (var i = table * 100; i < (table + 1) * 100; i++)
                {
                    await db.PutAsync(K(i), V(i), NoWait);
                }

                await db.FlushAsync(FlushType.MemTable);
            }
        }

        await using var reopened = await OpenWithoutCompactorAsync(store);
        store.Reset();
        var rows = await ScanAsync(reopened, KeyRange.From(K(10)), limit: 5);

        Assert.Equal([10, 11, 12, 13, 14], rows.Select(r => r.Key).ToArray());
        var tablesRead = store.Log.Where(r => r.Operation == ObjectStoreOperation.Get && r.Path.Contains("/compacted/", StringComparison.Ordinal))
            .Select(r => r.Path).Distinct().ToList();
        Assert.Single(tablesRead);

        // Read on, the scan reaches and opens the other two.
        Assert.Equal(Enumerable.Range(50, 250), (await ScanAsync(reopened, KeyRange.From(K(50)))).Select(r => r.Key));
    }

    [Fact]
    public async Task Rows_of_later_L0_SSTs_that_start_inside_the_scan_shadow_and_delete_as_usual()
    {
        var model = new SortedDictionary<int, int>();
        await using var db = await OpenWithoutCompactorAsync(new InMemoryObjectStore("memory://scan"));
        async Task PutAsync(int i, int version)
        {
            await db.PutAsync(K(i), V(i, version), NoWait);
            model[i] = version;
        }

        // Two disjoint SSTs, then one that starts inside the first and overwrites and deletes in both, a range delete in
        // a fourth that starts past where short scans of the first stop, and a memtable.
        for (var i = 0; i < 200; i++)
        {
            await PutAsync(i, 1);
            if (i == 99)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }

        await db.FlushAsync(FlushType.MemTable);
        await PutAsync(50, 2);
        await PutAsync(150, 2);
        await db.DeleteAsync(K(60), NoWait);
        model.Remove(60);
        await db.FlushAsync(FlushType.MemTable);
        await db.DeleteRangeAsync(KeyRange.Between(K(120), K(130)), NoWait);
        await PutAsync(125, 3);
        for (var i = 120; i < 130; i++)
        {
            if (i != 125)
            {
                model.Remove(i);
            }
        }

        await db.FlushAsync(FlushType.MemTable);
        await PutAsync(70, 4);

        foreach (var start in new[] { 0, 45, 55, 95, 115, 119, 124, 129, 145, 199 })
        {
            foreach (var limit in new[] { 1, 5, 10, 1000 })
            {
                var expected = model.Where(kv => kv.Key >= start).Take(limit).ToList();
                var actual = await ScanAsync(db, KeyRange.From(K(start)), limit);
                Assert.True(
                    expected.SequenceEqual(actual),
                    $"from {start}, {limit} rows: expected {string.Join(" ", expected)}, got {string.Join(" ", actual)}");
            }
        }

        // A seek from a scan not started yet, and from one already in the first SST.
        await using var scan = db.ScanAsync(KeyRange.All);
        await scan.SeekAsync(K(118));
        Assert.Equal(model.Where(kv => kv.Key >= 118).Take(3), [Parse(await scan.NextAsync()), Parse(await scan.NextAsync()), Parse(await scan.NextAsync())]);
        await scan.SeekAsync(K(149));
        Assert.Equal(model.Where(kv => kv.Key >= 149), await RestAsync(scan));
    }

    // The L0 SSTs stay where the flushes put them.
    private static Task<SlateDb.Db> OpenWithoutCompactorAsync(IObjectStore store)
        => OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null });

    private static async Task<List<KeyValuePair<int, int>>> ScanAsync(SlateDb.Db db, KeyRange range, int limit = int.MaxValue)
    {
        await using var scan = db.ScanAsync(range);
        var rows = new List<KeyValuePair<int, int>>();
        while (rows.Count < limit && await scan.NextAsync() is { } kv)
        {
            rows.Add(Parse(kv));
        }

        return rows;
    }

    private static async Task<List<KeyValuePair<int, int>>> RestAsync(DbIterator scan)
    {
        var rows = new List<KeyValuePair<int, int>>();
        while (await scan.NextAsync() is { } kv)
        {
            rows.Add(Parse(kv));
        }

        return rows;
    }

    // "key-00042" and "value-42-v3" back to (42, 3).
    private static KeyValuePair<int, int> Parse(KeyValue? row)
    {
        var kv = Assert.NotNull(row);
        var key = int.Parse(System.Text.Encoding.UTF8.GetString(kv.Key.Span)["key-".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var value = System.Text.Encoding.UTF8.GetString(kv.Value.Span);
        var version = int.Parse(value[(value.LastIndexOf('v') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return new(key, version);
    }
}
