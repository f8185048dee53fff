using System.Collections.Concurrent;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Reader;

/// <summary>DbReader.PromoteAsync: a following reader takes over as the writer with every durable write (RPO 0).</summary>
public sealed class StandbyTests
{
    private static readonly Settings LoadSettings = new()
    {
        FlushInterval = TimeSpan.FromMilliseconds(2),
        L0SstSizeBytes = 8 * 1024,
        ManifestPollInterval = TimeSpan.FromHours(1),
    };

    [Fact]
    public async Task A_promoted_reader_keeps_its_memtables_replays_only_what_it_has_not_seen_and_fences_the_old_writer()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var old = await OpenAsync(store, time: clock);
        await old.PutAsync(K(1), V(1), NoWait);
        await old.FlushAsync(FlushType.MemTable);
        await old.PutAsync(K(2), V(2), NoWait);
        await old.FlushAsync();
        var readerStore = new FaultInjectingObjectStore(store, 1);
        var reader = await DbReader.OpenAsync(DbPath, readerStore, DbReaderTests.Following(clock));
        await old.PutAsync(K(3), V(3), NoWait);
        await old.FlushAsync();                       // stored after the reader's last refresh
        var seen = reader.LastWalId;
        Assert.True(seen > 0);

        // The WAL objects the reader replayed are never read again: their rows come from its memtables.
        readerStore.FailWhen(
            c => c.Operation == ObjectStoreOperation.Get && new SlateDb.Layout.DbPaths(DbPath).TryParseWalId(c.Path, out var id) && id <= seen, transient: false);
        await using var promoted = await reader.PromoteAsync();

        Assert.Equal(V(1), await promoted.GetAsync(K(1)));
        Assert.Equal(V(2), await promoted.GetAsync(K(2)));
        Assert.Equal(V(3), await promoted.GetAsync(K(3)));
        await old.PutAsync(K(4), V(4), NoWait);
        await Assert.ThrowsAsync<FencedException>(() => old.FlushAsync());
        await promoted.PutAsync(K(5), V(5), NoWait);
        await promoted.FlushAsync();
        Assert.Equal(V(5), await promoted.GetAsync(K(5)));
        await Assert.ThrowsAsync<DbClosedException>(async () => await reader.GetAsync(K(1)));
        Assert.Empty((await LatestManifestAsync(store)).Value.Checkpoints);   // the reader's checkpoint is gone
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task A_standby_promoted_after_the_writer_is_abandoned_at_a_random_point_has_every_durable_write(int seed)
    {
        var random = new Random(seed);
        var store = new InMemoryObjectStore();
        var faulty = new FaultInjectingObjectStore(store, seed);
        var writer = await OpenAsync(faulty, LoadSettings, TimeProvider.System, seed: seed);
        var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { Seed = seed, ManifestPollInterval = TimeSpan.FromMilliseconds(5) });
        faulty.CrashAtCall(faulty.CallCount + random.Next(10, 120), afterApplying: random.Next(2) == 0);

        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var key = $"w{w}-{i:D6}";
                var value = V(i, w);
                try
                {
                    await writer.PutAsync(System.Text.Encoding.UTF8.GetBytes(key), value);
                }
                catch (Exception e) when (e is SlateDbException or ObjectStoreException)
                {
                    return;
                }

                acknowledged[key] = value;
            }
        })).ToArray();
        await Task.WhenAll(writers);
        Assert.True(faulty.IsCrashed);

        await using var promoted = await reader.PromoteAsync();
        foreach (var (key, value) in acknowledged)
        {
            Assert.Equal(value, await promoted.GetAsync(key));
        }

        faulty.ClearFaults();   // the abandoned writer's process comes back
        var late = await Assert.ThrowsAnyAsync<SlateDbException>(() => writer.PutAsync(K(1), V(1)));
        Assert.True(late is FencedException or DbClosedException, late.GetType().Name);
        await promoted.PutAsync(K(1), V(1));
        await writer.DisposeAsync();
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public async Task A_live_writer_is_fenced_by_a_promoted_standby_and_loses_no_durable_write(int seed)
    {
        var random = new Random(seed);
        var store = new InMemoryObjectStore();
        var writer = await OpenAsync(store, LoadSettings, TimeProvider.System, seed: seed);
        var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { Seed = seed, ManifestPollInterval = TimeSpan.FromMilliseconds(5) });
        var acknowledged = new ConcurrentDictionary<string, byte[]>();
        var fenced = new ConcurrentBag<Exception>();
        var promoteAfter = random.Next(50, 400);
        var promotion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; ; i++)
            {
                var key = $"w{w}-{i:D6}";
                try
                {
                    await writer.PutAsync(System.Text.Encoding.UTF8.GetBytes(key), V(i, w));
                }
                catch (SlateDbException e)
                {
                    fenced.Add(e);
                    return;
                }

                acknowledged[key] = V(i, w);
                if (acknowledged.Count >= promoteAfter)
                {
                    promotion.TrySetResult();
                }
            }
        })).ToArray();

        await promotion.Task;
        await using var promoted = await reader.PromoteAsync();
        await Task.WhenAll(writers);

        Assert.All(fenced, e => Assert.IsType<FencedException>(e));
        foreach (var (key, value) in acknowledged)
        {
            Assert.Equal(value, await promoted.GetAsync(key));
        }

        await Assert.ThrowsAsync<FencedException>(() => writer.PutAsync(K(1), V(1)));
        await writer.DisposeAsync();
    }
}
