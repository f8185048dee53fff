using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Cdc.CdcKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Cdc;

/// <summary>The change feed end to end: a consumer rebuilds a copy while writes run, and resumes after a crash.</summary>
public sealed class ChangeFeedTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task A_consumer_rebuilds_an_identical_copy_from_the_feed_while_writes_run(int seed)
    {
        var store = new InMemoryObjectStore();
        await using var source = await OpenAsync(store, KeepWal(), Clock(), seed: seed);
        await using var copy = await SlateDb.Db.Builder("copy", new InMemoryObjectStore())
            .WithSettings(KeepWal()).WithTimeProvider(Clock()).WithSeed(seed).BuildAsync();
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        // The feed waits at its tail until the writer has written something more; it reports when it has applied the target.
        var wrote = new SemaphoreSlim(0);
        var target = ulong.MaxValue;
        ulong applied = 0;
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        reader.WaitAtTail = async (_, ct) =>
        {
            if (Volatile.Read(ref applied) >= Volatile.Read(ref target))
            {
                caughtUp.TrySetResult();
            }

            await wrote.WaitAsync(ct);
        };
        using var stop = new CancellationTokenSource();
        var consumer = Task.Run(async () =>
        {
            await foreach (var batch in reader.ReadChangesAsync(ChangeCursor.Beginning, follow: true, stop.Token))
            {
                await ApplyAsync(copy, batch);
                Volatile.Write(ref applied, batch.Cursor.Seq);
                if (batch.Cursor.Seq >= Volatile.Read(ref target))
                {
                    caughtUp.TrySetResult();
                }
            }
        });

        var last = await WriteMixAsync(source, new Random(seed), 250, wrote);
        Volatile.Write(ref target, last);
        wrote.Release();
        await caughtUp.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => consumer);

        var expected = await ContentsAsync(source);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, await ContentsAsync(copy));
    }

    [Fact]
    public async Task A_consumer_that_crashes_before_persisting_its_cursor_gets_that_batch_again_and_no_row_is_missed()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        await WriteMixAsync(db, new Random(5), 120, null);
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
        var all = Rows(await ReadToEndAsync(reader, ChangeCursor.Beginning));
        Assert.True(all.Count > 50);

        // First run: applies batches and persists the cursor after each, but crashes after applying the 6th with rows.
        var delivered = new List<string>();
        string? persisted = null;
        List<string>? crashed = null;
        var withRows = 0;
        await foreach (var batch in reader.ReadChangesAsync(ChangeCursor.Beginning, follow: false))
        {
            delivered.AddRange(batch.Rows.Select(Describe));
            if (batch.Rows.Count > 0 && ++withRows == 6)
            {
                crashed = [.. batch.Rows.Select(Describe)];
                break;
            }

            persisted = batch.Cursor.ToString();
        }

        Assert.NotNull(crashed);
        Assert.NotNull(persisted);

        // Second run: resumes from the persisted text.
        var resumed = Rows(await ReadToEndAsync(reader, ChangeCursor.Parse(persisted)));
        Assert.Equal(crashed, resumed.Take(crashed.Count));   // the unpersisted batch comes again
        delivered.AddRange(resumed);
        Assert.Equal(all, delivered.Distinct());             // nothing missing, nothing out of order
        Assert.Equal(all.Count + crashed.Count, delivered.Count);
    }

    [Fact]
    public async Task Resuming_from_a_cursor_within_a_wal_object_skips_the_rows_up_to_its_seq()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        for (var i = 0; i < 5; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        using (var batch = new WriteBatch())
        {
            await db.WriteAsync(batch.Put(K(10), V(10)).Put(K(11), V(11)).Delete(K(0)), NoWait);
        }

        await db.FlushAsync();
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
        var batches = await ReadToEndAsync(reader, ChangeCursor.Beginning);
        var object5 = Assert.Single(batches, b => b.Rows.Count == 8);
        Assert.Equal(6, object5.Rows.Select(r => r.Seq).Distinct().Count());

        var cursor = object5.CursorAfter(2);
        Assert.Equal(new ChangeCursor(object5.WalId - 1, object5.Rows[2].Seq), cursor);
        var resumed = await ReadToEndAsync(reader, ChangeCursor.FromBytes(cursor.ToBytes()));
        Assert.Equal(object5.Rows.Skip(3).Select(Describe), Rows(resumed));
        Assert.Equal(object5.Cursor, resumed[^1].Cursor);

        // The write batch's three rows share a seq: a cursor cannot fall inside it.
        var error = Assert.Throws<ArgumentException>(() => object5.CursorAfter(5));
        Assert.Contains("same sequence number", error.Message, StringComparison.Ordinal);
        Assert.Equal(object5.Cursor, object5.CursorAfter(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => object5.CursorAfter(8));
    }

    [Theory]
    [InlineData(CheckpointScope.Durable)]
    [InlineData(CheckpointScope.All)]
    public async Task A_copy_rebuilt_from_a_checkpoint_then_the_feed_from_its_readers_wal_position_equals_the_source(CheckpointScope scope)
    {
        var store = new InMemoryObjectStore();
        await using var source = await OpenAsync(store, KeepWal(), Clock());
        var random = new Random(21);
        await WriteMixAsync(source, random, 80, null);
        await source.PutAsync(K(99), V(99), NoWait);   // not durable before the checkpoint
        var checkpoint = await source.CreateCheckpointAsync(scope);
        await WriteMixAsync(source, random, 80, null);

        // The copy: the checkpoint's view, then the feed after the WAL objects that view holds.
        await using var copy = await SlateDb.Db.Builder("copy", new InMemoryObjectStore()).WithSettings(KeepWal()).WithTimeProvider(Clock()).BuildAsync();
        await using (var pinned = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions { CheckpointId = checkpoint.Id, TimeProvider = Clock(), Seed = 1 }))
        {
            await foreach (var kv in pinned.ScanAsync(KeyRange.All))
            {
                await copy.PutAsync(kv.Key, kv.Value, NoWait);
            }

            var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
            foreach (var batch in await ReadToEndAsync(reader, new ChangeCursor(pinned.LastWalId, 0)))
            {
                await ApplyAsync(copy, batch);
            }
        }

        Assert.Equal(await ContentsAsync(source), await ContentsAsync(copy));
    }

    // Puts, deletes, batches (some not awaited), WAL and memtable flushes; releases `wrote` after each durable step.
    // Returns the seq of the last write, durable on return.
    private static async Task<ulong> WriteMixAsync(SlateDb.Db db, Random random, int operations, SemaphoreSlim? wrote)
    {
        ulong last = 0;
        for (var op = 0; op < operations; op++)
        {
            var key = K(random.Next(40));
            var roll = random.Next(100);
            if (roll < 40)
            {
                last = (await db.PutAsync(key, V(op), random.Next(4) == 0 ? NoWait : null)).Seq;
            }
            else if (roll < 60)
            {
                last = (await db.DeleteAsync(key)).Seq;
            }
            else if (roll < 85)
            {
                using var batch = new WriteBatch();
                var size = random.Next(1, 6);
                for (var i = 0; i < size; i++)
                {
                    var k = K(random.Next(40));
                    _ = random.Next(3) == 0 ? batch.Delete(k) : batch.Put(k, V(op, i));
                }

                last = (await db.WriteAsync(batch, random.Next(3) == 0 ? NoWait : null)).Seq;
            }
            else if (roll < 95)
            {
                await db.FlushAsync();
            }
            else
            {
                await db.FlushAsync(FlushType.MemTable);
            }

            wrote?.Release();
        }

        await db.FlushAsync();
        return last;
    }
}
