using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// When writes become durable: a handle's Durable task completes once the WAL object holding the write is
/// stored (after a flush, or the flush interval on the clock, or at once when the write awaits durability), and
/// concurrent writers share one WAL object.
/// </summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task A_non_durable_writes_handle_completes_after_FlushAsync()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync("db", store);
        var first = await db.PutAsync(Key(1), Value(1), NoWait);
        var second = await db.DeleteAsync(Key(2), NoWait);
        Assert.True(second.Seq > first.Seq, $"Sequence numbers must grow: {first.Seq} then {second.Seq}.");
        Assert.False(first.Durable.IsCompleted, "Durable completed although nothing flushed the WAL (the clock never moved).");
        Assert.Equal(0, await CountWalObjectsAsync(store));

        await db.FlushAsync();
        await Guard.Within(first.Durable, "the first Durable after FlushAsync");
        await Guard.Within(second.Durable, "the second Durable after FlushAsync");
    }

    [Fact]
    public async Task A_non_durable_put_becomes_durable_when_the_flush_interval_elapses_and_concurrent_writers_share_one_wal_object()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var settings = new Settings { FlushInterval = TimeSpan.FromMilliseconds(100), ManifestPollInterval = TimeSpan.FromHours(1) };
        await using var db = await OpenAsync("db", store, settings: settings, time: time);
        var walBefore = await CountWalObjectsAsync(store);

        var puts = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => db.PutAsync(Key(i), Value(i), NoWait))));
        await Guard.Within(WaitUntilVisibleAsync(db, 50), "the puts becoming visible");

        Assert.All(puts, p => Assert.False(p.Durable.IsCompleted, "A put became durable before any WAL flush."));
        time.Advance(settings.FlushInterval);
        await Guard.Within(Task.WhenAll(puts.Select(p => p.Durable)), "the puts' Durable after one flush interval");

        Assert.Equal(walBefore + 1, await CountWalObjectsAsync(store));
        var seqs = puts.Select(p => p.Seq).ToList();
        Assert.Equal(50, seqs.Distinct().Count());
    }

    [Fact]
    public async Task A_durable_put_completes_without_the_clock_moving()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync("db", store, time: Clock());   // the clock never moves
        var walBefore = await CountWalObjectsAsync(store);

        for (var i = 0; i < 3; i++)
        {
            var handle = await Guard.Within(db.PutAsync(Key(i), Value(i)), "a durable put with the clock standing still");
            Assert.True(handle.Durable.IsCompletedSuccessfully);
        }

        Assert.Equal(walBefore + 3, await CountWalObjectsAsync(store));
    }

    // Waits until each write is applied (read-your-writes), so moving the clock flushes all of them.
    private static async Task WaitUntilVisibleAsync(Db db, int count)
    {
        for (var i = 0; i < count; i++)
        {
            while (await db.GetAsync(Key(i)) is null)
            {
                await Task.Yield();
            }
        }
    }

    // WAL objects holding writes (fences left out).
    private static async Task<int> CountWalObjectsAsync(InMemoryObjectStore store)
    {
        var count = 0;
        await foreach (var meta in store.ListAsync("db/wal/"))
        {
            if (!WalObjects.IsFence(meta))
            {
                count++;
            }
        }

        return count;
    }
}
