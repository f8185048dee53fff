using System.Runtime.CompilerServices;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>
/// Golden request traces: the exact object-store requests of short sessions. They pin the durability order (a WAL
/// object before its durable acknowledgement, an L0 SST before the manifest naming it) and the request count.
/// Regenerate with SLATEDB_REWRITE=1 after an intended change and review the diff.
/// </summary>
public sealed class RequestTraceTests
{
    // The golden traces are the writer's requests; a compactor's claim and work would interleave at random points.
    private static readonly Settings NoCompactor = new() { ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null };

    [Fact]
    public async Task Open_put_flush_memtable_flush_close_issues_exactly_these_requests()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore("memory://trace"), recordLog: true);
        var db = await OpenAsync(store, NoCompactor, seed: 7);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync();
        await db.DeleteAsync(K(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        Assert.Null(await db.GetAsync(K(1)));
        Assert.Equal(V(2), await db.GetAsync(K(2)));
        await db.CloseAsync();

        AssertMatchesGolden("open-put-flush-close.txt", store.Log.Select(r => r.ToString()));
    }

    [Fact]
    public async Task Reopen_replays_the_wal_and_reads_l0_with_these_requests()
    {
        var inner = new InMemoryObjectStore("memory://trace");
        var faults = new FaultInjectingObjectStore(inner, 1);
        var first = await OpenAsync(faults, NoCompactor, seed: 7);
        await first.PutAsync(K(1), V(1), NoWait);
        await first.FlushAsync(FlushType.MemTable);
        await first.PutAsync(K(2), V(2), NoWait);
        await first.FlushAsync();
        faults.Crash();
        await Assert.ThrowsAnyAsync<Exception>(() => first.CloseAsync());

        var store = new InstrumentedObjectStore(inner, recordLog: true);
        await using (var db = await OpenAsync(store, NoCompactor, seed: 8))
        {
            Assert.Equal(V(1), await db.GetAsync(K(1)));
            Assert.Equal(V(2), await db.GetAsync(K(2)));
            Assert.Equal(V(1), await db.GetAsync(K(1)));
        }

        AssertMatchesGolden("reopen-replay-read.txt", store.Log.Select(r => r.ToString()));
    }

    // Compares with the copy of Db/Golden/<name> in the output folder; SLATEDB_REWRITE=1 rewrites the source file.
    private static void AssertMatchesGolden(string name, IEnumerable<string> actual, [CallerFilePath] string sourceFile = "")
    {
        var text = string.Join("\n", actual) + "\n";
        if (Environment.GetEnvironmentVariable("SLATEDB_REWRITE") == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(sourceFile)!, "Golden", name), text);
            return;
        }

        var expected = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Db", "Golden", name));
        Assert.Equal(expected, text);
    }
}
