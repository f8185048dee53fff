using SlateDb.Core.Tests.Manifest;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Write;

public sealed class WriteLoopTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Concurrent_writers_before_a_flush_share_one_wal_object_and_one_durable_task()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        var handles = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => db.PutAsync(K(i), V(i), NoWait))));

        Assert.Equal(64, handles.Select(h => h.Seq).Distinct().Count());
        _ = Assert.Single(handles.Select(h => h.Durable).Distinct());
        Assert.False(handles[0].Durable.IsCompleted);
        await db.FlushAsync();

        Assert.All(handles, h => Assert.True(h.Durable.IsCompletedSuccessfully));
        Assert.Equal(2, (await WalObjectsAsync(store)).Count);   // the fence and one WAL object
    }

    [Fact]
    public async Task Durable_tasks_complete_in_sequence_order()
    {
        var store = new HookedObjectStore();
        await using var db = await OpenAsync(store);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WriteHandle? first = null;
        bool? firstDurableWhenSecondStarted = null;
        store.BeforePut = (path, _) =>
        {
            if (path == WalPath(3))
            {
                firstDurableWhenSecondStarted = first!.Durable.IsCompletedSuccessfully;
            }

            return path == WalPath(2) ? gate.Task : Task.CompletedTask;
        };

        first = await db.PutAsync(K(1), V(1), NoWait);
        var firstFlush = db.FlushAsync();                   // wal 2, held at the gate
        var second = await db.PutAsync(K(2), V(2), NoWait);
        var secondFlush = db.FlushAsync();                  // wal 3, queued behind wal 2

        Assert.NotSame(first.Durable, second.Durable);
        Assert.False(first.Durable.IsCompleted);
        Assert.False(second.Durable.IsCompleted);
        Assert.False(secondFlush.IsCompleted);
        Assert.True(second.Seq > first.Seq);

        gate.SetResult();
        await Task.WhenAll(firstFlush, secondFlush).WaitAsync(Guard);
        Assert.True(first.Durable.IsCompletedSuccessfully && second.Durable.IsCompletedSuccessfully);
        Assert.True(firstDurableWhenSecondStarted, "WAL object 3 was stored before WAL object 2 was durable.");
    }

    [Fact]
    public async Task The_flush_interval_writes_the_buffer_and_never_an_empty_object()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time: time);
        var handle = await db.PutAsync(K(1), V(1), NoWait);   // nobody waits: only the timer stores it

        time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(handle.Durable.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await handle.Durable.WaitAsync(Guard);
        Assert.Equal(2, (await WalObjectsAsync(store)).Count);

        time.Advance(TimeSpan.FromSeconds(10));
        await db.FlushAsync();
        Assert.Equal(2, (await WalObjectsAsync(store)).Count);
    }

    [Fact]
    public async Task A_durable_put_is_stored_at_once_without_the_clock_moving()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, time: Clock());   // the clock never moves in this test

        for (var i = 0; i < 3; i++)
        {
            var handle = await db.PutAsync(K(i), V(i)).WaitAsync(Guard);
            Assert.True(handle.Durable.IsCompletedSuccessfully);
            Assert.Equal(V(i), await db.GetAsync(K(i), Remote));
        }

        Assert.Equal(4, (await WalObjectsAsync(store)).Count);   // the fence and one object per sequential durable put
    }

    [Fact]
    public async Task Durable_writers_arriving_during_a_wal_put_share_the_next_one()
    {
        const int Writers = 1000;
        var store = new HookedObjectStore();
        await using var db = await OpenAsync(store, time: Clock());   // the clock never moves in this test
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforePut = (path, _) =>
        {
            if (path != WalPath(2))
            {
                return Task.CompletedTask;
            }

            held.TrySetResult();
            return release.Task;
        };

        try
        {
            var leader = db.PutAsync(K(0), V(0));                    // seals WAL 2 at once; its PUT is held
            await held.Task.WaitAsync(Guard);

            // Each put is applied before PutAsync returns; all of them then wait for durability at once.
            var followers = Enumerable.Range(1, Writers).Select(i => db.PutAsync(K(i), V(i))).ToList();
            Assert.False(leader.IsCompleted);
            Assert.DoesNotContain(followers, f => f.IsCompleted);
            Assert.Equal([1UL], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));   // the fence; WAL 2 is in flight

            release.SetResult();
            var handles = await Task.WhenAll(followers).WaitAsync(Guard);
            await leader.WaitAsync(Guard);

            _ = Assert.Single(handles.Select(h => h.Durable).Distinct());
            Assert.Equal([1UL, 2, 3], (await WalObjectsAsync(store.Inner)).Select(o => o.Id));   // fence, leader, all followers
        }
        finally
        {
            release.TrySetResult();   // never leave the close waiting on the held PUT
        }
    }

    [Fact]
    public async Task Remote_reads_see_only_durable_writes()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        await db.PutAsync(K(1), V(1, 2), NoWait);
        await db.PutAsync(K(2), V(2), NoWait);

        Assert.Equal(V(1, 2), await db.GetAsync(K(1)));
        Assert.Equal(V(1, 1), await db.GetAsync(K(1), Remote));
        Assert.Null(await db.GetAsync(K(2), Remote));
        Assert.Equal(["key-00001"], await KeysAsync(db.ScanAsync(KeyRange.All, Remote)));

        await db.FlushAsync();
        Assert.Equal(V(1, 2), await db.GetAsync(K(1), Remote));
        Assert.Equal(["key-00001", "key-00002"], await KeysAsync(db.ScanAsync(KeyRange.All, Remote)));
    }

    [Fact]
    public async Task A_batch_is_applied_under_one_seq_and_its_last_operation_per_key_wins()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        using var batch = new WriteBatch();
        batch.Put(K(1), V(1)).Put(K(2), V(2)).Delete(K(1)).Put(K(2), V(2, 2)).Put(K(3), V(3));

        var handle = await db.WriteAsync(batch, NoWait);

        Assert.Null(await db.GetAsync(K(1)));
        Assert.Equal(V(2, 2), await db.GetAsync(K(2)));
        await using var scan = db.ScanAsync(KeyRange.All);
        while (await scan.NextAsync() is { } kv)
        {
            Assert.Equal(handle.Seq, kv.Seq);
        }

        await Assert.ThrowsAsync<ArgumentException>(() => db.WriteAsync(new WriteBatch()));
    }

    [Fact]
    public async Task Writers_wait_while_unflushed_bytes_reach_the_limit_and_resume_after_the_flush()
    {
        var store = new HookedObjectStore();
        var settings = new Settings { MaxUnflushedBytes = 4096, L0SstSizeBytes = 1 << 20, ManifestPollInterval = TimeSpan.FromHours(1) };
        await using var db = await OpenAsync(store, settings);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforePut = (path, _) => path.Contains("/manifest/", StringComparison.Ordinal) ? Task.CompletedTask : gate.Task;
        long waits = 0;
        using var listener = Listen("slatedb.backpressure.waits", v => Interlocked.Add(ref waits, v));

        Task<WriteHandle>? blocked = null;
        for (var i = 0; i < 1000 && blocked is null; i++)
        {
            var put = db.PutAsync(K(i), new byte[200], NoWait);
            if (!put.IsCompleted)
            {
                blocked = put;
            }
        }

        Assert.NotNull(blocked);
        Assert.True(Interlocked.Read(ref waits) >= 1);
        Assert.False(blocked.IsCompleted);

        gate.SetResult();
        await blocked.WaitAsync(Guard);
        await db.FlushAsync(FlushType.MemTable);
        Assert.NotEmpty(await ListAsync(store.Inner, "db/compacted/"));
    }

    [Fact]
    public async Task A_wal_object_taken_by_another_writer_fences_this_one()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store);
        var pending = await db.PutAsync(K(1), V(1), NoWait);
        await store.PutAsync(WalPath(2), ReadOnlyMemory<byte>.Empty, PutMode.Create);   // a newer writer's fence

        await Assert.ThrowsAsync<FencedException>(() => db.FlushAsync());
        await Assert.ThrowsAsync<FencedException>(() => pending.Durable);
        await Assert.ThrowsAsync<FencedException>(() => db.PutAsync(K(2), V(2), NoWait));
        await Assert.ThrowsAsync<DbClosedException>(async () => await db.GetAsync(K(1)));
        await Assert.ThrowsAsync<FencedException>(() => db.CloseAsync());
    }

    [Fact]
    public async Task Writes_and_gets_are_counted_on_the_SlateDb_meter()
    {
        long writes = 0, gets = 0, walFlushes = 0;
        using var l1 = Listen("slatedb.writes", v => Interlocked.Add(ref writes, v));
        using var l2 = Listen("slatedb.gets", v => Interlocked.Add(ref gets, v));
        using var l3 = Listen("slatedb.wal.flushes", v => Interlocked.Add(ref walFlushes, v));
        await using var db = await OpenAsync(new InMemoryObjectStore());

        await db.PutAsync(K(1), V(1), NoWait);
        await db.DeleteAsync(K(2), NoWait);
        await db.GetAsync(K(1));
        await db.FlushAsync();

        Assert.True(Interlocked.Read(ref writes) >= 2);
        Assert.True(Interlocked.Read(ref gets) >= 1);
        Assert.True(Interlocked.Read(ref walFlushes) >= 1);
    }

    private static async Task<List<string>> KeysAsync(DbIterator iterator)
    {
        var keys = new List<string>();
        await foreach (var kv in iterator)
        {
            keys.Add(System.Text.Encoding.UTF8.GetString(kv.Key.Span));
        }

        return keys;
    }
}
