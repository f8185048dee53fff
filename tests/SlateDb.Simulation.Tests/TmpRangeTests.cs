using System.Text;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

public sealed class TmpRangeTests
{
    [Fact]
    public async Task Tmp()
    {
        await using var db = await OpenAsync("x", new InMemoryObjectStore(), settings: SmallTables());
        for (var i = 0; i < 20; i++)
        {
            await db.PutAsync($"k{i:D3}", "v", NoWait);
        }

        await db.DeleteRangeAsync(KeyRange.From("k010"), NoWait);
        Assert.Null(await db.GetAsync("k012"));
        var keys = new List<string>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            keys.Add(Encoding.UTF8.GetString(kv.Key.Span));
        }

        Assert.Equal(10, keys.Count);
        await db.FlushAsync(FlushType.MemTable);
        Assert.Null(await db.GetAsync("k012"));
        keys.Clear();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            keys.Add(Encoding.UTF8.GetString(kv.Key.Span));
        }

        Assert.Equal(10, keys.Count);
    }
}
