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

    [Fact]
    public async Task Over_its_budget_the_cache_closes_the_least_recently_used_readers_which_reopen_on_their_next_use()
    {
        const int Tables = 30;
        var (store, views) = await TablesAsync(Tables);

        var perReader = (await new TableCache(store, null).GetAsync(Copy(views[0]), default)).MetadataBytes;
        var budget = 5 * perReader;
        var cache = new TableCache(store, null, budget);
        var held = await cache.GetAsync(views[0], default);
        var random = new Random(5);
        for (var round = 0; round < 300; round++)
        {
            var t = round < Tables ? round : random.Next(Tables);
            var i = random.Next(100);
            var reader = await cache.GetAsync(views[t], default);
            var row = await reader.GetAsync(NumberKey((t * 1000) + i), ulong.MaxValue);
            Assert.Equal($"v{t:D3}-{i:D3}", System.Text.Encoding.UTF8.GetString(row!.Value.Value.Span));
            Assert.True(cache.MetadataBytes <= budget, $"{cache.MetadataBytes} metadata bytes cached, budget {budget}");
            Assert.True(cache.Count <= 5, $"{cache.Count} readers cached");
        }

        Assert.True(cache.Evictions > Tables - 5, $"{cache.Evictions} evictions");

        // The reader taken first was evicted long ago; whoever holds it still reads with it.
        Assert.Equal(100, (await ReadAllAsync(held)).Count);

        cache.Retain(new HashSet<string>());
        Assert.Equal(0, cache.MetadataBytes);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task A_reader_used_since_the_last_open_outlives_readers_opened_before_it_was_used()
    {
        var (store, views) = await TablesAsync(6);
        var perReader = (await new TableCache(store, null).GetAsync(Copy(views[0]), default)).MetadataBytes;
        var cache = new TableCache(store, null, 5 * perReader);
        for (var t = 0; t < 5; t++)
        {
            await cache.GetAsync(views[t], default);
        }

        var first = await cache.GetAsync(views[0], default);
        await cache.GetAsync(views[5], default);

        // Six readers exceed the budget of five: the least recently used go, down to 7/8 of it (four readers).
        Assert.Equal(4, cache.Count);
        Assert.Equal(2, cache.Evictions);
        var gets = store.Gets;
        Assert.Same(first, await cache.GetAsync(views[0], default));
        Assert.Same(first, await cache.GetAsync(Copy(views[0]), default));
        Assert.Equal(gets, store.Gets);
        await cache.GetAsync(views[1], default);
        Assert.True(store.Gets > gets, "the least recently used reader was still open");
    }

    private static async Task<(HookedObjectStore Store, TableView[] Views)> TablesAsync(int count)
    {
        var store = new HookedObjectStore();
        var views = new TableView[count];
        for (var t = 0; t < count; t++)
        {
            var sst = Build(Sorted(Enumerable.Range(0, 100).Select(i => Put(NumberKey((t * 1000) + i), (ulong)i + 1, $"v{t:D3}-{i:D3}"))));
            var path = $"db/compacted/{t:D3}.sst";
            await store.Inner.PutAsync(path, sst.Data, PutMode.Create);
            views[t] = new TableView($"{t}", path, NumberKey(t * 1000), NumberKey((t * 1000) + 99), sst.Data.Length);
        }

        return (store, views);
    }

    // A view of the same SST that remembers no cache entry (a view remembers the entry of the cache that served it).
    private static TableView Copy(TableView view) => new(view.Id, view.Path, view.FirstKey, view.LastKey, view.Size);

    private static TableView View() => new("a", Path, Key("a"), Key("z"), 0);

    private static async Task<HookedObjectStore> StoreWithTableAsync()
    {
        var store = new HookedObjectStore();
        var sst = Build(Sorted(Enumerable.Range(0, 100).Select(i => Put(NumberKey(i), (ulong)i + 1, $"v{i}"))));
        await store.Inner.PutAsync(Path, sst.Data, PutMode.Create);
        return store;
    }
}
