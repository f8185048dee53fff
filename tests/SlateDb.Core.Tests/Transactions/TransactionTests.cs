using System.Text;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Transactions;

public sealed class TransactionTests
{
    private static readonly WriteOptions NoWaitCommit = NoWait;

    [Theory]
    [InlineData(TransactionIsolation.Snapshot)]
    [InlineData(TransactionIsolation.SerializableSnapshot)]
    public async Task A_write_write_conflict_with_another_transaction_fails_the_later_commit_and_applies_nothing(TransactionIsolation isolation)
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await using var first = db.BeginTransaction(isolation);
        await using var second = db.BeginTransaction(isolation);
        first.Put("account", "first");
        second.Put("account", "second").Put("other", "second");

        await first.CommitAsync(NoWaitCommit);
        var conflict = await Assert.ThrowsAsync<TransactionConflictException>(() => second.CommitAsync(NoWaitCommit));

        Assert.Equal(SlateDbErrorKind.Conflict, conflict.Kind);
        Assert.Contains("'account'", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("account", Encoding.UTF8.GetString(conflict.Key.Span));
        Assert.Equal("first", Encoding.UTF8.GetString((await db.GetAsync("account"))!));
        Assert.Null(await db.GetAsync("other"));
    }

    [Fact]
    public async Task A_plain_put_or_batch_committed_after_the_start_conflicts_with_a_write_of_its_key()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await using var afterPut = db.BeginTransaction();
        await using var afterBatch = db.BeginTransaction();
        afterPut.Put("a", "t");
        afterBatch.Delete("b");
        await db.PutAsync("a", "plain", NoWait);
        using var batch = new WriteBatch().Put("x", "1").Delete("b");
        await db.WriteAsync(batch, NoWait);

        await Assert.ThrowsAsync<TransactionConflictException>(() => afterPut.CommitAsync(NoWaitCommit));
        await Assert.ThrowsAsync<TransactionConflictException>(() => afterBatch.CommitAsync(NoWaitCommit));
        Assert.Equal("plain", Encoding.UTF8.GetString((await db.GetAsync("a"))!));
    }

    [Fact]
    public async Task Writes_committed_before_the_start_and_writes_of_other_keys_do_not_conflict()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await db.PutAsync("a", "before", NoWait);
        await using var txn = db.BeginTransaction(TransactionIsolation.SerializableSnapshot);
        Assert.Equal("before", Encoding.UTF8.GetString((await txn.GetAsync("a"))!));
        await db.PutAsync("b", "other key", NoWait);
        txn.Put("a", "txn");

        var handle = await txn.CommitAsync(NoWaitCommit);

        Assert.Equal("txn", Encoding.UTF8.GetString((await db.GetAsync("a"))!));
        Assert.True(handle.Seq > txn.StartSeq);
    }

    [Fact]
    public async Task Write_skew_commits_under_snapshot_isolation_and_fails_under_serializable()
    {
        foreach (var isolation in new[] { TransactionIsolation.Snapshot, TransactionIsolation.SerializableSnapshot })
        {
            await using var db = await OpenAsync(new InMemoryObjectStore());
            await db.PutAsync("x", "1", NoWait);
            await db.PutAsync("y", "1", NoWait);

            // Each reads the other's key and writes its own: both commit only if reads are not checked.
            await using var t1 = db.BeginTransaction(isolation);
            await using var t2 = db.BeginTransaction(isolation);
            await t1.GetAsync("y");
            await t2.GetAsync("x");
            t1.Put("x", "0");
            t2.Put("y", "0");
            await t1.CommitAsync(NoWaitCommit);

            if (isolation == TransactionIsolation.Snapshot)
            {
                await t2.CommitAsync(NoWaitCommit);
                Assert.Equal("0", Encoding.UTF8.GetString((await db.GetAsync("y"))!));
            }
            else
            {
                var conflict = await Assert.ThrowsAsync<TransactionConflictException>(() => t2.CommitAsync(NoWaitCommit));
                Assert.Equal("x", Encoding.UTF8.GetString(conflict.Key.Span));
                Assert.Equal("1", Encoding.UTF8.GetString((await db.GetAsync("y"))!));
            }
        }
    }

    [Fact]
    public async Task A_key_inserted_into_a_scanned_range_fails_a_serializable_commit_but_not_a_snapshot_one()
    {
        foreach (var isolation in new[] { TransactionIsolation.Snapshot, TransactionIsolation.SerializableSnapshot })
        {
            await using var db = await OpenAsync(new InMemoryObjectStore());
            await db.PutAsync("order:1", "10", NoWait);
            await using var txn = db.BeginTransaction(isolation);
            var count = 0;
            await foreach (var kv in txn.ScanAsync(KeyRange.Prefix("order:")))
            {
                count++;
            }

            txn.Put("order-count", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await db.PutAsync("order:2", "20", NoWait);   // a phantom: a new key inside the scanned range
            await db.PutAsync("zzz", "outside", NoWait);

            if (isolation == TransactionIsolation.Snapshot)
            {
                await txn.CommitAsync(NoWaitCommit);
            }
            else
            {
                var conflict = await Assert.ThrowsAsync<TransactionConflictException>(() => txn.CommitAsync(NoWaitCommit));
                Assert.Equal("order:2", Encoding.UTF8.GetString(conflict.Key.Span));
            }
        }
    }

    [Fact]
    public async Task Reads_see_the_start_snapshot_plus_own_writes_in_get_batched_get_and_scan()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await db.PutAsync("a", "db-a", NoWait);
        await db.PutAsync("b", "db-b", NoWait);
        await db.PutAsync("c", "db-c", NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await using var txn = db.BeginTransaction();
        await db.PutAsync("d", "later", NoWait);      // committed after the start: not seen

        txn.Put("b", "own-b").Delete("c").Put("e", "own-e");

        Assert.Equal("db-a", Encoding.UTF8.GetString((await txn.GetAsync("a"))!));
        Assert.Equal("own-b", Encoding.UTF8.GetString((await txn.GetAsync("b"))!));
        Assert.Null(await txn.GetAsync("c"));
        Assert.Null(await txn.GetAsync("d"));
        var many = await txn.GetManyAsync([Encoding.UTF8.GetBytes("e"), Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("c"), Encoding.UTF8.GetBytes("b")]);
        Assert.Equal(["own-e", "db-a", null, "own-b"], many.Select(v => v is null ? null : Encoding.UTF8.GetString(v)));

        var scanned = new List<string>();
        await foreach (var kv in txn.ScanAsync(KeyRange.All))
        {
            scanned.Add($"{Encoding.UTF8.GetString(kv.Key.Span)}={Encoding.UTF8.GetString(kv.Value.Span)}");
        }

        Assert.Equal(["a=db-a", "b=own-b", "e=own-e"], scanned);

        await using var seek = txn.ScanAsync(KeyRange.All);
        await seek.SeekAsync(Encoding.UTF8.GetBytes("c"));
        Assert.Equal("e", Encoding.UTF8.GetString((await seek.NextAsync())!.Value.Key.Span));
    }

    [Fact]
    public async Task A_commit_applies_every_write_under_one_seq_and_a_rollback_applies_none()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await using (var rolledBack = db.BeginTransaction())
        {
            rolledBack.Put("r", "1");
            rolledBack.Rollback();
            await Assert.ThrowsAsync<InvalidOperationException>(() => rolledBack.CommitAsync(NoWaitCommit));
        }

        await using (var disposed = db.BeginTransaction())
        {
            disposed.Put("d", "1");
        }

        await using var txn = db.BeginTransaction();
        for (var i = 0; i < 50; i++)
        {
            txn.Put(K(i), V(i));
        }

        var handle = await txn.CommitAsync(NoWaitCommit);

        Assert.Null(await db.GetAsync("r"));
        Assert.Null(await db.GetAsync("d"));
        var seqs = new HashSet<ulong>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            seqs.Add(kv.Seq);
        }

        Assert.Equal([handle.Seq], seqs);
        Assert.Equal(0, db.Engine.WriteLoop.Commits.OpenTransactions);
        Assert.Equal(0, db.Engine.Snapshots.Count);
    }

    [Fact]
    public async Task Misuse_is_refused_with_clear_errors()
    {
        var db = await OpenAsync(new InMemoryObjectStore());
        var txn = db.BeginTransaction();
        txn.Put("a", "1");
        await txn.CommitAsync(NoWaitCommit);
        var twice = await Assert.ThrowsAsync<InvalidOperationException>(() => txn.CommitAsync(NoWaitCommit));
        Assert.Contains("already committed", twice.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => txn.Put("b", "2"));
        await txn.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => txn.Put("b", "2"));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await txn.GetAsync("a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => db.BeginTransaction((TransactionIsolation)7));

        var open = db.BeginTransaction();
        open.Put("c", "3");
        await db.CloseAsync();
        Assert.Throws<DbClosedException>(() => db.BeginTransaction());
        await Assert.ThrowsAsync<DbClosedException>(async () => await open.GetAsync("a"));
        await Assert.ThrowsAsync<DbClosedException>(() => open.CommitAsync(NoWaitCommit));
        await open.DisposeAsync();
    }

    [Fact]
    public async Task A_conflicting_binary_key_is_named_in_hex()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await using var txn = db.BeginTransaction();
        byte[] key = [0x00, 0xFF, 0x10];
        txn.Put(key, [1]);
        await db.PutAsync(key, new byte[] { 2 }, NoWait);

        var conflict = await Assert.ThrowsAsync<TransactionConflictException>(() => txn.CommitAsync(NoWaitCommit));

        Assert.Contains("0x00FF10", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conflict_tracking_stays_bounded_across_many_transactions_and_is_empty_when_none_is_open()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        var commits = db.Engine.WriteLoop.Commits;
        var peak = 0L;
        DbTransaction? previous = null;
        for (var i = 0; i < 2000; i++)
        {
            // Two overlapping transactions at a time: what is tracked is only what the older one may conflict with.
            var txn = db.BeginTransaction(TransactionIsolation.SerializableSnapshot);
            txn.Put(K(i % 100), V(i));
            await db.PutAsync(K((i + 50) % 100), V(i), NoWait);
            if (previous is not null)
            {
                await previous.CommitAsync(NoWaitCommit).ContinueWith(_ => { }, TaskScheduler.Default);
                await previous.DisposeAsync();
            }

            previous = txn;
            peak = Math.Max(peak, commits.TrackedKeys);
        }

        await previous!.DisposeAsync();
        Assert.True(peak <= 4, $"At most the writes since the oldest open start are tracked; the peak was {peak} keys.");
        Assert.Equal(0L, commits.TrackedKeys);
        await db.PutAsync(K(1), V(1), NoWait);
        Assert.Equal(0L, commits.TrackedKeys);
    }

    [Theory]
    [InlineData(TransactionIsolation.Snapshot, 4)]
    [InlineData(TransactionIsolation.SerializableSnapshot, 4)]
    [InlineData(TransactionIsolation.SerializableSnapshot, 16)]
    public async Task Concurrent_transfers_between_accounts_keep_the_total(TransactionIsolation isolation, int workers)
    {
        const int Accounts = 10;
        const int Initial = 100;
        await using var db = await OpenAsync(new InMemoryObjectStore(), new Settings { ManifestPollInterval = TimeSpan.FromHours(1), L0SstSizeBytes = 4096 });
        for (var i = 0; i < Accounts; i++)
        {
            await db.PutAsync(K(i), BitConverter.GetBytes(Initial), NoWait);
        }

        var committed = 0;
        var conflicts = 0;
        async Task WorkAsync(int seed)
        {
            var random = new Random(seed);
            for (var n = 0; n < 100; n++)
            {
                var from = random.Next(Accounts);
                var to = (from + 1 + random.Next(Accounts - 1)) % Accounts;
                await using var txn = db.BeginTransaction(isolation);
                var balances = await txn.GetManyAsync([K(from), K(to)]);
                await Task.Yield();   // lets other transfers interleave between the read and the commit
                var amount = random.Next(1, 20);
                txn.Put(K(from), BitConverter.GetBytes(BitConverter.ToInt32(balances[0]) - amount));
                txn.Put(K(to), BitConverter.GetBytes(BitConverter.ToInt32(balances[1]) + amount));
                try
                {
                    await txn.CommitAsync(NoWaitCommit);
                    Interlocked.Increment(ref committed);
                }
                catch (TransactionConflictException)
                {
                    Interlocked.Increment(ref conflicts);
                }

                if (n % 30 == 0)
                {
                    await db.FlushAsync(FlushType.MemTable);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w))));

        var total = 0;
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            total += BitConverter.ToInt32(kv.Value.Span);
        }

        Assert.Equal(Accounts * Initial, total);
        Assert.True(committed > 0, "Some transfers must commit.");
        Assert.Equal(workers * 100, committed + conflicts);
        Assert.Equal(0L, db.Engine.WriteLoop.Commits.TrackedKeys);
    }
}
