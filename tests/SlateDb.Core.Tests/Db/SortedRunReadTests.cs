using System.Text;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>
/// Reads through sorted runs (which only compaction creates) and through a parent's SSTs (clones): the manifest is
/// written by hand here, with SSTs of rows 0..29 in three disjoint tables of run 0.
/// </summary>
public sealed class SortedRunReadTests
{
    [Fact]
    public async Task Gets_and_scans_read_sorted_runs_below_l0_and_the_memtable()
    {
        var store = await StoreWithSortedRunAsync(parent: null);
        await using var db = await OpenAsync(store, seed: 5);

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(V(i), await db.GetAsync(K(i)));
        }

        Assert.Null(await db.GetAsync(K(30)));
        Assert.Null(await db.GetAsync(Encoding.UTF8.GetBytes("key-00005x")));

        // Newer sources shadow the run: a put and a delete in L0, another put in the memtable.
        await db.PutAsync(K(3), V(3, 2), NoWait);
        await db.DeleteAsync(K(15), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(25), V(25, 3), NoWait);
        Assert.Equal(V(3, 2), await db.GetAsync(K(3)));
        Assert.Null(await db.GetAsync(K(15)));
        Assert.Equal(V(25, 3), await db.GetAsync(K(25)));

        var all = await ScanAsync(db.ScanAsync(KeyRange.All));
        Assert.Equal(29, all.Count);
        Assert.DoesNotContain("key-00015", all.Keys);
        Assert.Equal("value-3-v2", all["key-00003"]);
        Assert.Equal("value-25-v3", all["key-00025"]);

        var between = await ScanAsync(db.ScanAsync(KeyRange.Between(K(8), K(22))));
        Assert.Equal(Enumerable.Range(8, 14).Where(i => i != 15).Select(i => $"key-{i:D5}"), between.Keys);
    }

    [Fact]
    public async Task Seeking_jumps_across_the_tables_of_a_run()
    {
        var store = await StoreWithSortedRunAsync(parent: null);
        await using var db = await OpenAsync(store, seed: 5);
        await using var scan = db.ScanAsync(KeyRange.From(K(2)));

        Assert.Equal(K(2), (await scan.NextAsync())!.Value.Key.ToArray());
        await scan.SeekAsync(K(21));
        Assert.Equal(K(21), (await scan.NextAsync())!.Value.Key.ToArray());
        await scan.SeekAsync(Encoding.UTF8.GetBytes("key-00028x"));
        Assert.Equal(K(29), (await scan.NextAsync())!.Value.Key.ToArray());
        Assert.Null(await scan.NextAsync());

        await Assert.ThrowsAsync<ArgumentException>(async () => await scan.SeekAsync(K(5)));
        await using var other = db.ScanAsync(KeyRange.From(K(10)));
        await Assert.ThrowsAsync<ArgumentException>(async () => await other.SeekAsync(K(1)));
    }

    [Fact]
    public async Task Ssts_listed_under_an_external_database_are_read_from_its_path()
    {
        var store = await StoreWithSortedRunAsync(parent: "parent");
        Assert.NotEmpty(await ListAsync(store, "parent/compacted/"));
        Assert.Empty(await ListAsync(store, "db/compacted/"));

        await using var db = await OpenAsync(store, seed: 5);
        Assert.Equal(V(0), await db.GetAsync(K(0)));
        Assert.Equal(V(29), await db.GetAsync(K(29)));
        Assert.Equal(30, (await ScanAsync(db.ScanAsync(KeyRange.All))).Count);
    }

    // Rows 0..29 (seq i + 1) in three tables of ten.
    private static Task<InMemoryObjectStore> StoreWithSortedRunAsync(string? parent)
        => SortedRunKit.StoreWithSortedRunAsync(
            [.. Enumerable.Range(0, 3).Select(t => (IReadOnlyList<Row>)[.. Enumerable.Range(t * 10, 10).Select(i => new Row(K(i), (ulong)(i + 1), RowKind.Put, V(i), 0))])],
            blockSize: 256,
            parent);

    private static async Task<SortedDictionary<string, string>> ScanAsync(DbIterator iterator)
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var kv in iterator)
        {
            found.Add(Encoding.UTF8.GetString(kv.Key.Span), Encoding.UTF8.GetString(kv.Value.Span));
        }

        return found;
    }
}
