using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using static SlateDb.Simulation.Tests.TestDb;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// A writer that a newer writer fenced must fail its next durable write or manifest update with
/// <see cref="FencedException"/> and close; the newer writer sees every write the old one acknowledged as
/// durable before the newer one opened, and nothing the old one tried after.
/// </summary>
public sealed class ZombieWriterTests
{
    // The manifest poll would also notice the fence; these tests check the write path, so it never fires.
    private static readonly Settings NoPolling = new() { ManifestPollInterval = TimeSpan.FromHours(1) };

    [Fact]
    public async Task The_fenced_writers_next_durable_write_fails_and_the_new_writer_sees_its_durable_writes()
    {
        var store = new InMemoryObjectStore();
        var settings = new Settings { FlushInterval = TimeSpan.FromMilliseconds(20), ManifestPollInterval = TimeSpan.FromHours(1) };
        var a = await OpenAsync("db", store, settings: settings, time: TimeProvider.System, seed: 1);
        for (var i = 0; i < 5; i++)
        {
            await Guard.Within(a.PutAsync(Key(i), Value(i)), "a durable put of writer A");
        }

        var b = await OpenAsync("db", store, settings: settings, time: TimeProvider.System, seed: 2);

        // A's next durable write: the timer-driven WAL flush finds B's fence at its WAL id.
        var ex = await Record.ExceptionAsync(() => Guard.Within(a.PutAsync(Key(5), Value(5)), "A's durable put after B opened"));
        Assert.IsType<FencedException>(ex);
        await AssertClosedAfterFencingAsync(a);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Value(i), await b.GetAsync(Key(i)));
        }

        Assert.Null(await b.GetAsync(Key(5)));
        await b.CloseAsync();
        await DisposeFencedAsync(a);
    }

    [Fact]
    public async Task A_fenced_writers_flush_fails_its_pending_handles_fail_and_its_writes_never_appear()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var a = await OpenAsync("db", store, settings: NoPolling, time: time, seed: 1);
        await a.WriteAsync(Batch(0, 1, 2), NoWait);
        await a.FlushAsync();
        var durable = await a.PutAsync(Key(3), Value(3), NoWait);
        await a.FlushAsync();
        await Guard.Within(durable.Durable, "the Durable task after FlushAsync");
        var notFlushed = await a.PutAsync(Key(4), Value(4), NoWait);

        var b = await OpenAsync("db", store, settings: NoPolling, time: time, seed: 2);
        var afterB = await a.PutAsync(Key(5), Value(5), NoWait);
        await Assert.ThrowsAsync<FencedException>(() => Guard.Within(a.FlushAsync(), "A's FlushAsync after B opened"));
        await Assert.ThrowsAsync<FencedException>(() => Guard.Within(notFlushed.Durable, "A's pending Durable (written before B)"));
        await Assert.ThrowsAsync<FencedException>(() => Guard.Within(afterB.Durable, "A's pending Durable (written after B)"));
        await AssertClosedAfterFencingAsync(a);

        var seen = await KeyValueModel.ReadAllAsync(b);
        Assert.Equal(
            ["key-0000", "key-0001", "key-0002", "key-0003"],
            seen.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k)));

        // B keeps working and a third open sees B's writes and still none of A's late ones.
        await b.PutAsync(Key(6), Value(6), NoWait);
        await b.CloseAsync();
        await using var c = await OpenAsync("db", store, settings: NoPolling, time: time, seed: 3);
        var final = await KeyValueModel.ReadAllAsync(c);
        Assert.Equal(
            ["key-0000", "key-0001", "key-0002", "key-0003", "key-0006"],
            final.Keys.Select(k => System.Text.Encoding.UTF8.GetString(k)));
        await DisposeFencedAsync(a);
    }

    [Fact]
    public async Task A_fenced_writer_with_nothing_to_write_to_the_wal_fails_its_memtable_flush()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var a = await OpenAsync("db", store, settings: NoPolling, time: time, seed: 1);
        await a.PutAsync(Key(0), Value(0), NoWait);
        await a.FlushAsync(FlushType.Wal);

        var b = await OpenAsync("db", store, settings: NoPolling, time: time, seed: 2);

        // The WAL is already durable, so the memtable flush reaches the manifest update, which must see B's epoch.
        await Assert.ThrowsAsync<FencedException>(() => Guard.Within(a.FlushAsync(FlushType.MemTable), "A's memtable flush"));
        await AssertClosedAfterFencingAsync(a);
        Assert.Equal(Value(0), await b.GetAsync(Key(0)));
        await b.CloseAsync();
        await DisposeFencedAsync(a);
    }

    private static WriteBatch Batch(params int[] keys)
    {
        var batch = new WriteBatch();
        foreach (var i in keys)
        {
            batch.Put(Key(i), Value(i));
        }

        return batch;
    }

    // After fencing every operation fails: FencedException or DbClosedException, never success or a hang.
    private static async Task AssertClosedAfterFencingAsync(Db zombie)
    {
        var put = await Record.ExceptionAsync(() => Guard.Within(zombie.PutAsync(Key(9), Value(9), NoWait), "a put on the fenced db"));
        Assert.True(put is DbClosedException or FencedException, $"A put on a fenced database threw {put?.GetType().Name ?? "nothing"}.");
        var flush = await Record.ExceptionAsync(() => Guard.Within(zombie.FlushAsync(), "a flush on the fenced db"));
        Assert.True(flush is DbClosedException or FencedException, $"A flush on a fenced database threw {flush?.GetType().Name ?? "nothing"}.");
    }

    private static async Task DisposeFencedAsync(Db zombie)
    {
        var ex = await Record.ExceptionAsync(() => Guard.Within(zombie.DisposeAsync(), "disposing the fenced db"));
        Assert.True(ex is null or DbClosedException or FencedException, $"Disposing a fenced database threw {ex}");
    }
}
