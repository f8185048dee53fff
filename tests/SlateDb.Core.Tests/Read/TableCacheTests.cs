using SlateDb.Core.Tests.Db;
using SlateDb.Core.Tests.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Read;

public class TableCacheTests
{
    private const string Path = "db/compacted/a.sst";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrent_reads_of_one_table_open_it_once()
    {
        var store = await StoreWithTableAsync();
        var baseline = new TableCache(store, null);
        await baseline.GetAsync(View(), default);
        var getsPerOpen = store.Gets;

        var cache = new TableCache(store, null);
        var entered = 0;
        using var firstEntered = new ManualResetEventSlim();
        using var secondReturned = new ManualResetEventSlim();
        store.BeforeGet = _ =>
        {
            // The first open stalls inside its first GET until the second read has returned: a second open of the
            // same table would run its GETs meanwhile.
            if (Interlocked.Increment(ref entered) == 1)
            {
                firstEntered.Set();
                Assert.True(secondReturned.Wait(Limit), "the second read returned");
            }

            return Task.CompletedTask;
        };

        var first = Task.Run(() => cache.GetAsync(View(), default).AsTask());
        Assert.True(firstEntered.Wait(Limit), "the first open started");
        var second = cache.GetAsync(View(), default).AsTask();
        secondReturned.Set();

        Assert.Same(await first.WaitAsync(Limit), await second.WaitAsync(Limit));
        Assert.Equal(2 * getsPerOpen, store.Gets);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public async Task A_failed_open_whose_only_reader_gave_up_is_forgotten_and_the_next_read_opens_again()
    {
        var store = await StoreWithTableAsync();
        var cache = new TableCache(store, null);
        var outage = new TaskCompletionSource();
        store.BeforeGet = async path =>
        {
            await outage.Task;
            throw new ObjectStoreException(path, store.Uri, "injected outage", isTransient: true);
        };

        using var cancel = new CancellationTokenSource();
        var gaveUp = cache.GetAsync(View(), cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);
        store.BeforeGet = null;
        outage.SetResult();
        await DbKit.EventuallyAsync(() => cache.Count == 0, "the failed open left the cache");

        var reader = await cache.GetAsync(View(), default);

        Assert.Equal(Path, reader.Path);
    }

    private static TableView View() => new("a", Path, Key("a"), Key("z"), 0);

    private static async Task<HookedObjectStore> StoreWithTableAsync()
    {
        var store = new HookedObjectStore();
        var sst = Build(Sorted(Enumerable.Range(0, 100).Select(i => Put(NumberKey(i), (ulong)i + 1, $"v{i}"))));
        await store.Inner.PutAsync(Path, sst.Data, PutMode.Create);
        return store;
    }
}
