using System.Runtime.CompilerServices;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.Simulation.Tests.Dst;

/// <summary>
/// The simulation's crashes drop databases without closing them, thousands per process: a dropped database must not
/// stay reachable (with its memtables, caches and store) from anything static.
/// </summary>
public sealed class AbandonedDatabaseTests
{
    [Fact]
    public async Task A_database_dropped_without_closing_is_collected()
    {
        var dropped = await OpenWriteAndDropAsync();
        for (var i = 0; i < 5 && dropped.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            await Task.Yield();
        }

        Assert.False(dropped.IsAlive, "The store of a database dropped without closing is still reachable after a full collection.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> OpenWriteAndDropAsync()
    {
        // The engine keeps its store to the end: the store stays reachable exactly as long as the engine does.
        var store = new InMemoryObjectStore();
        var db = await TestDb.OpenAsync("db", store);
        await db.PutAsync(TestDb.Key(1), TestDb.Value(1));
        await db.FlushAsync(FlushType.MemTable);
        return new WeakReference(store);
    }
}
