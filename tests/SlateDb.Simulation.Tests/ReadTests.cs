using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>Reads: the durability filter, scans with seeks, prefix scans, and reads from L0 tables.</summary>
public sealed class ReadTests
{
    [Fact]
    public async Task A_remote_read_sees_only_durable_writes()
    {
        await using var db = await OpenAsync("db", new InMemoryObjectStore());
        await db.PutAsync(Key(1), Value(1, 1), NoWait);
        await db.FlushAsync();
        await db.PutAsync(Key(1), Value(1, 2), NoWait);
        await db.PutAsync(Key(2), Value(2), NoWait);
        await db.DeleteAsync(Key(1), NoWait);
        await db.PutAsync(Key(3), Value(3), NoWait);

        Assert.Null(await db.GetAsync(Key(1)));
        Assert.Equal(Value(2), await db.GetAsync(Key(2)));
        Assert.Equal(Value(1, 1), await db.GetAsync(Key(1), Remote));
        Assert.Null(await db.GetAsync(Key(2), Remote));
        Assert.Equal(["key-0001"], (await KeyValueModel.ReadAllAsync(db, Remote)).Keys.Select(Text));
        Assert.Equal(["key-0002", "key-0003"], (await KeyValueModel.ReadAllAsync(db)).Keys.Select(Text));

        await db.FlushAsync();
        Assert.Null(await db.GetAsync(Key(1), Remote));
        Assert.Equal(Value(2), await db.GetAsync(Key(2), Remote));
        Assert.Equal(["key-0002", "key-0003"], (await KeyValueModel.ReadAllAsync(db, Remote)).Keys.Select(Text));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Seek_moves_a_scan_forward_within_its_range(bool fromL0)
    {
        await using var db = await OpenAsync("db", new InMemoryObjectStore(), settings: SmallTables());
        for (var i = 0; i < 100; i += 2)
        {
            await db.PutAsync(Key(i), Value(i), NoWait);
        }

        if (fromL0)
        {
            await db.FlushAsync(FlushType.MemTable);
        }

        await using var it = db.ScanAsync(KeyRange.Between(Key(10), Key(80)));
        Assert.Equal("key-0010", Text((await it.NextAsync())!.Value.Key));
        await it.SeekAsync(Key(40));
        Assert.Equal("key-0040", Text((await it.NextAsync())!.Value.Key));
        await it.SeekAsync(Key(51)); // between two keys: the next key after it
        var kv = (await it.NextAsync())!.Value;
        Assert.Equal("key-0052", Text(kv.Key));
        Assert.Equal(Value(52), kv.Value.ToArray());
        await it.SeekAsync(Key(79)); // the last key of the range is 78: nothing left
        Assert.Null(await it.NextAsync());
    }

    [Fact]
    public async Task Prefix_scans_return_exactly_the_keys_with_the_prefix()
    {
        await using var db = await OpenAsync("db", new InMemoryObjectStore(), settings: SmallTables());
        string[] keys = ["a", "a/", "a/b", "a/b/c", "a/bc", "a0", "ab", "b", "b/1"];
        foreach (var k in keys)
        {
            await db.PutAsync(k, "v:" + k, NoWait);
        }

        byte[][] binary = [[0xFF], [0xFF, 0x00], [0xFF, 0xFF], [0xFF, 0xFF, 0x01], [0xFE, 0xFF]];
        foreach (var k in binary)
        {
            await db.PutAsync(k, k, NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync("a/b/d", "v:a/b/d", NoWait); // one key in the memtable, the rest in L0

        Assert.Equal(["a/", "a/b", "a/b/c", "a/b/d", "a/bc"], await ScanTextAsync(db, KeyRange.Prefix("a/")));
        Assert.Equal(["a/b", "a/b/c", "a/b/d", "a/bc"], await ScanTextAsync(db, KeyRange.Prefix("a/b")));
        Assert.Equal(["a/b/c", "a/b/d"], await ScanTextAsync(db, KeyRange.Prefix("a/b/")));
        Assert.Empty(await ScanTextAsync(db, KeyRange.Prefix("c")));
        var ff = new List<string>();
        await foreach (var kv in db.ScanAsync(KeyRange.Prefix(new byte[] { 0xFF })))
        {
            ff.Add(Convert.ToHexString(kv.Key.Span));
            Assert.Equal(kv.Key.ToArray(), kv.Value.ToArray());
        }

        Assert.Equal(["FF", "FF00", "FFFF", "FFFF01"], ff);
    }

    [Fact]
    public async Task Scans_report_the_sequence_number_of_the_write_and_gets_read_l0_tables()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync("db", store, settings: SmallTables());
        var seqs = new Dictionary<string, ulong>();
        for (var i = 0; i < 300; i++)
        {
            var handle = await db.PutAsync(Key(i % 150), Value(i), NoWait);
            seqs[Text(Key(i % 150))] = handle.Seq;
        }

        await db.CloseAsync();
        await using var reopened = await OpenAsync("db", store, settings: SmallTables());
        var count = 0;
        await foreach (var kv in reopened.ScanAsync(KeyRange.All))
        {
            Assert.Equal(seqs[Text(kv.Key)], kv.Seq);
            count++;
        }

        Assert.Equal(150, count);
        for (var i = 0; i < 150; i++)
        {
            Assert.Equal(Value(i + 150), await reopened.GetAsync(Key(i)));
        }

        Assert.Null(await reopened.GetAsync(Key(150)));
        Assert.Null(await reopened.GetAsync("key-0000-missing"));
    }

    private static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    private static string Text(ReadOnlyMemory<byte> bytes) => System.Text.Encoding.UTF8.GetString(bytes.Span);

    private static async Task<List<string>> ScanTextAsync(Db db, KeyRange range)
    {
        var result = new List<string>();
        await foreach (var kv in db.ScanAsync(range))
        {
            result.Add(Text(kv.Key));
            Assert.Equal("v:" + Text(kv.Key), Text(kv.Value));
        }

        return result;
    }
}
