using System.Collections.Concurrent;
using SlateDb.Core.Tests.Manifest;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Write;

// Group commit with the pacer: every WAL PUT after the fence takes 10 ms on the fake clock, so the pacer's hold bound
// is 5 ms; the clock moves only in those PUTs and where a test advances it.
public sealed class GroupCommitTests
{
    private const int Writers = 8;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PutTime = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task Writers_made_durable_together_come_back_into_one_wal_object()
    {
        var (store, time, stored) = Store();
        await using var db = await OpenAsync(store, time: time);
        await EightWritersShareWal3Async(store, db);

        // Each writer's next put: the first seven wait for the rest (without the pacer the first one would lead a
        // WAL object of its own and the other seven ride the next).
        var next = Enumerable.Range(0, Writers).Select(i => db.PutAsync(K(100 + i), V(i))).ToList();
        var handles = await Task.WhenAll(next).WaitAsync(Guard);

        _ = Assert.Single(handles.Select(h => h.Durable).Distinct());
        Assert.Equal([1UL, 2, 3, 4], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));
        Assert.Equal(4, stored.Count);   // the fence and WAL 2, 3 and 4: no PUT was started for a part of the writers
    }

    [Fact]
    public async Task A_hold_ends_after_half_the_put_latency_when_the_writers_do_not_come_back()
    {
        var (store, time, _) = Store();
        await using var db = await OpenAsync(store, time: time);
        await EightWritersShareWal3Async(store, db);

        var alone = db.PutAsync(K(100), V(100));
        time.Advance(TimeSpan.FromMilliseconds(4));
        Assert.False(alone.IsCompleted);
        Assert.Equal([1UL, 2, 3], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));

        time.Advance(TimeSpan.FromMilliseconds(1));   // 5 ms: half of the 10 ms PUTs
        await alone.WaitAsync(Guard);
        Assert.Equal([1UL, 2, 3, 4], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));
    }

    [Fact]
    public async Task A_single_writer_is_never_held()
    {
        var (store, time, _) = Store();
        await using var db = await OpenAsync(store, time: time);

        for (var i = 0; i < 5; i++)
        {
            await db.PutAsync(K(i), V(i)).WaitAsync(Guard);   // the clock moves only inside the PUTs
        }

        Assert.Equal([1UL, 2, 3, 4, 5, 6], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));
    }

    [Fact]
    public async Task A_flush_during_a_hold_stores_the_waiting_writes_at_once()
    {
        var (store, time, _) = Store();
        await using var db = await OpenAsync(store, time: time);
        await EightWritersShareWal3Async(store, db);

        var alone = db.PutAsync(K(100), V(100));
        await db.FlushAsync().WaitAsync(Guard);
        await alone.WaitAsync(Guard);
        Assert.Equal([1UL, 2, 3, 4], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));
    }

    // WAL PUTs take PutTime on the fake clock; the stored paths are recorded (the fence's included).
    private static (HookedObjectStore Store, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time, ConcurrentQueue<string> Stored) Store()
    {
        var store = new HookedObjectStore();
        var time = Clock();
        var stored = new ConcurrentQueue<string>();
        store.BeforePut = (path, _) =>
        {
            if (Enumerable.Range(1, 20).Any(id => path == WalPath((ulong)id)))
            {
                stored.Enqueue(path);
                if (path != WalPath(1))
                {
                    time.Advance(PutTime);
                }
            }

            return Task.CompletedTask;
        };
        return (store, time, stored);
    }

    // A leader's put is WAL 2, held until eight followers joined; the followers are WAL 3 and come back durable.
    private static async Task EightWritersShareWal3Async(HookedObjectStore store, SlateDb.Db db)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timed = store.BeforePut!;
        store.BeforePut = async (path, mode) =>
        {
            await timed(path, mode);
            if (path == WalPath(2))
            {
                held.TrySetResult();
                await release.Task;
            }
        };

        try
        {
            var leader = db.PutAsync(K(0), V(0));
            await held.Task.WaitAsync(Guard);
            var followers = Enumerable.Range(1, Writers).Select(i => db.PutAsync(K(i), V(i))).ToList();
            release.SetResult();
            await leader.WaitAsync(Guard);
            var handles = await Task.WhenAll(followers).WaitAsync(Guard);
            _ = Assert.Single(handles.Select(h => h.Durable).Distinct());
            Assert.Equal([1UL, 2, 3], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));
        }
        finally
        {
            release.TrySetResult();
        }
    }
}
