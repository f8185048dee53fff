using System.Text;
using SlateDb.Admin;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.IntegrationTests.Clones;

/// <summary>The clone and copy scenarios, run against whichever stores a test gives them.</summary>
internal static class CloneScenario
{
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    /// <summary>
    /// The seed scenario: a database with a separate WAL store takes writes and makes a full checkpoint, its WAL store
    /// is wiped, a clone is made from the checkpoint into a new WAL store; every key reads back from the clone, and the
    /// clone's writes leave the parent unchanged.
    /// </summary>
    public static async Task SeedScenarioAsync(IObjectStore store, IObjectStore parentWal, IObjectStore cloneWal)
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Guid checkpoint;
        await using (var db = await Db.Builder("parent", store).WithWalObjectStore(parentWal).BuildAsync())
        {
            await PutRangeAsync(db, 0, 40, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
            await PutRangeAsync(db, 30, 60, 1, expected);
            checkpoint = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
        }

        await foreach (var meta in parentWal.ListAsync(""))
        {
            await parentWal.DeleteAsync(meta.Path);
        }

        var result = await DbAdmin.CreateCloneAsync("clone", "parent", store, checkpoint, cloneWal, parentWal);
        Assert.Equal(checkpoint, result.ParentCheckpointId);

        await using (var clone = await Db.Builder("clone", store).WithWalObjectStore(cloneWal).BuildAsync())
        {
            Assert.Equal(expected, await ReadAllAsync(clone));
            await PutRangeAsync(clone, 0, 80, 2);
        }

        await using (var clone = await Db.Builder("clone", store).WithWalObjectStore(cloneWal).BuildAsync())
        {
            var cloned = await ReadAllAsync(clone);
            Assert.Equal(80, cloned.Count);
            Assert.All(cloned.Values, v => Assert.EndsWith("-v2", v, StringComparison.Ordinal));
        }

        await using var parent = await Db.Builder("parent", store).WithWalObjectStore(parentWal).BuildAsync();
        Assert.Equal(expected, await ReadAllAsync(parent));
    }

    /// <summary>A copy of a database with data in L0 and in the WAL reads back equal from the destination store.</summary>
    public static async Task CopyScenarioAsync(IObjectStore source, IObjectStore destination)
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await Db.OpenAsync("source", source))
        {
            await PutRangeAsync(db, 0, 200, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
            await PutRangeAsync(db, 100, 300, 2, expected);
            await db.FlushAsync(FlushType.MemTable);
            await PutRangeAsync(db, 250, 280, 3, expected);
        }

        var result = await DbAdmin.CopyAsync("source", source, "copy", destination);
        Assert.True(result.SstsCopied >= 2);

        await using var copy = await Db.OpenAsync("copy", destination);
        Assert.Equal(expected, await ReadAllAsync(copy));
    }

    private static async Task PutRangeAsync(Db db, int from, int to, int version, SortedDictionary<string, string>? expected = null)
    {
        for (var i = from; i < to; i++)
        {
            var (key, value) = ($"key-{i:D5}", $"value-{i}-v{version}");
            await db.PutAsync(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), NoWait);
            expected?[key] = value;
            if ((i - from) % 10 == 9)
            {
                await db.FlushAsync();
            }
        }

        await db.FlushAsync();
    }

    private static async Task<SortedDictionary<string, string>> ReadAllAsync(Db db)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            all.Add(Encoding.UTF8.GetString(kv.Key.Span), Encoding.UTF8.GetString(kv.Value.Span));
        }

        return all;
    }
}
