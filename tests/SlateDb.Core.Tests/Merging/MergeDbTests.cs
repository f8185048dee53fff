using System.Text;
using SlateDb.Format;
using SlateDb.ObjectStore;
using SlateDb.Read;
using SlateDb.Testing.Merging;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Merging;

/// <summary>Merges and time to live through the whole engine: memtable, WAL replay, L0 flush, compaction and every read path.</summary>
public class MergeDbTests
{
    private static Settings WithOperator(IMergeOperator? op, CompactorSettings? compactor = null, TimeSpan? defaultTtl = null)
    {
        var settings = Small(compactor);
        settings.MergeOperator = op;
        settings.DefaultTtl = defaultTtl;
        settings.Gc = null;
        return settings;
    }

    internal static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    internal static string? S(byte[]? b) => b is null ? null : Encoding.UTF8.GetString(b);

    // Every row of the L0 SSTs and sorted runs, every version, newest first per key.
    private static async Task<List<Row>> StoredRowsAsync(SlateDb.Db db)
    {
        var state = db.Engine.State.Current;
        var sources = new List<IRowIterator>();
        foreach (var table in state.L0)
        {
            sources.Add((await db.Engine.Tables.GetAsync(table, CancellationToken.None)).CreateIterator(KeyRange.All));
        }

        foreach (var run in state.SortedRuns)
        {
            sources.Add(new SortedRunIterator(run, KeyRange.All, db.Engine.Tables, new SstReadOptions()));
        }

        await using var merge = new MergeIterator(sources, new MergeOptions { NewestOnly = false, HideTombstones = false });
        return await Read.TestRows.DrainAsync(merge);
    }

    internal static async Task<List<string>> ScanAsync(DbIterator iterator)
    {
        var found = new List<string>();
        await using (iterator)
        {
            await foreach (var kv in iterator)
            {
                found.Add($"{S(kv.Key.ToArray())}={S(kv.Value.ToArray())}");
            }
        }

        return found;
    }

    [Fact]
    public async Task Merges_resolve_on_every_read_path_from_memtable_l0_and_sorted_runs()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, WithOperator(new AppendOperator(), Policy()));
        await db.PutAsync("a", "base", NoWait);
        await db.MergeAsync("a", "+1", NoWait);
        await db.FlushAsync(FlushType.MemTable);          // L0: base, +1 (folded into one put)
        await db.MergeAsync("a", "+2", NoWait);
        await db.MergeAsync("b", "+b1", NoWait);
        using (var batch = new WriteBatch().Merge("b", "+b2").Merge("a", "+3").Merge("c", "+c"))
        {
            await db.WriteAsync(batch, NoWait);
        }

        await AssertReadsAsync(db);
        await db.FlushAsync(FlushType.MemTable);          // a second L0: the compactor makes a (bottom) run
        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        Assert.NotEmpty(db.Engine.State.Current.SortedRuns);
        await AssertReadsAsync(db);

        // At the bottom every chain became one value.
        Assert.Equal("a@5:Put=base+1+2+3, b@5:Put=+b1+b2, c@5:Put=+c", Read.TestRows.Show(await StoredRowsAsync(db)));

        static async Task AssertReadsAsync(SlateDb.Db db)
        {
            Assert.Equal("base+1+2+3", S(await db.GetAsync("a")));
            Assert.Equal("+b1+b2", S(await db.GetAsync("b")));
            Assert.Equal(["base+1+2+3", "+b1+b2", "+c", null], (await db.GetManyAsync([U("a"), U("b"), U("c"), U("d")])).Select(S));
            Assert.Equal(["a=base+1+2+3", "b=+b1+b2", "c=+c"], await ScanAsync(db.ScanAsync(KeyRange.All)));
            await using var tx = db.BeginTransaction();
            Assert.Equal("base+1+2+3", S(await tx.GetAsync("a")));
            Assert.Equal(["a=base+1+2+3", "b=+b1+b2", "c=+c"], await ScanAsync(tx.ScanAsync(KeyRange.All)));
        }
    }

    [Fact]
    public async Task A_flush_keeps_the_operands_a_snapshot_still_reads_between()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, WithOperator(new AppendOperator()));
        await db.PutAsync("a", "base", NoWait);
        await db.MergeAsync("a", "+1", NoWait);
        await using var snapshot = db.Snapshot();
        await db.MergeAsync("a", "+2", NoWait);
        await db.MergeAsync("a", "+3", NoWait);
        await db.FlushAsync(FlushType.MemTable);

        Assert.Equal("a@4:Merge=+3, a@3:Merge=+2, a@2:Put=base+1", Read.TestRows.Show(await StoredRowsAsync(db)));
        Assert.Equal("base+1", S(await snapshot.GetAsync("a")));
        Assert.Equal(["a=base+1"], await ScanAsync(snapshot.ScanAsync(KeyRange.All)));
        Assert.Equal("base+1+2+3", S(await db.GetAsync("a")));
    }

    [Fact]
    public async Task Expired_rows_are_invisible_at_once_on_every_read_path_and_compaction_removes_them()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, WithOperator(new AppendOperator(), Policy()), clock);
        await db.PutAsync("a", "old", NoWait);
        await db.PutAsync("a", "short", new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(1) });
        await db.PutAsync("b", "long", new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(10) });
        await db.PutAsync("c", "c", NoWait);
        await db.MergeAsync("c", "+short", new WriteOptions { AwaitDurable = false, ExpiresAt = clock.GetUtcNow().AddSeconds(1) });
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync("d", "in memtable", new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(1) });

        Assert.Equal("short", S(await db.GetAsync("a")));
        Assert.Equal("c+short", S(await db.GetAsync("c")));
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("in memtable", S(await db.GetAsync("d")));
        clock.Advance(TimeSpan.FromMilliseconds(1));

        // An expired put hides what it replaced; an expired operand is as if never merged.
        Assert.Null(await db.GetAsync("a"));
        Assert.Null(await db.GetAsync("d"));
        Assert.Equal("c", S(await db.GetAsync("c")));
        Assert.Equal([null, "long", "c", null], (await db.GetManyAsync([U("a"), U("b"), U("c"), U("d")])).Select(S));
        Assert.Equal(["b=long", "c=c"], await ScanAsync(db.ScanAsync(KeyRange.All)));
        await using (var snapshot = db.Snapshot())
        {
            Assert.Null(await snapshot.GetAsync("a"));
            Assert.Equal(["b=long", "c=c"], await ScanAsync(snapshot.ScanAsync(KeyRange.All)));
        }

        // The compaction into the first (bottom) run drops the expired rows and what they hid.
        await db.FlushAsync(FlushType.MemTable);
        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        Assert.NotEmpty(db.Engine.State.Current.SortedRuns);
        var stored = Read.TestRows.Show(await StoredRowsAsync(db));
        Assert.DoesNotContain("a@", stored);
        Assert.DoesNotContain("d@", stored);
        Assert.DoesNotContain("+short", stored);
        Assert.Contains("b@3:Put=long", stored);
        Assert.Equal(["b=long", "c=c"], await ScanAsync(db.ScanAsync(KeyRange.All)));
    }

    [Fact]
    public async Task A_scan_over_many_keys_holding_only_expired_operands_returns_the_live_keys_around_them()
    {
        var clock = Clock();
        await using var db = await OpenAsync(new InMemoryObjectStore(), WithOperator(new AppendOperator()), clock);
        await db.PutAsync("a", "first", NoWait);
        using (var batch = new WriteBatch())
        {
            for (var i = 0; i < 50_000; i++)
            {
                batch.Merge(K(i), "+"u8);
            }

            await db.WriteAsync(batch, new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(1) });
        }

        await db.PutAsync("z", "last", NoWait);
        clock.Advance(TimeSpan.FromSeconds(1));

        // Every key between "a" and "z" resolves to nothing, one after another, in one move of the scan.
        Assert.Equal(["a=first", "z=last"], await ScanAsync(db.ScanAsync(KeyRange.All)));
    }

    [Fact]
    public async Task Create_and_expiry_times_survive_the_wal_the_memtable_and_sst()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var settings = WithOperator(new AppendOperator(), defaultTtl: TimeSpan.FromMinutes(1));
        var writer = await OpenAsync(store, settings, clock);
        await writer.PutAsync("default", "v", NoWait);
        await writer.PutAsync("ttl", "v", new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(5) });
        await writer.MergeAsync("at", "+", new WriteOptions { AwaitDurable = false, ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(now + 7000) });
        await writer.PutAsync("never", "v", new WriteOptions { AwaitDurable = false, Ttl = Timeout.InfiniteTimeSpan });
        await writer.DeleteAsync("deleted", NoWait);
        var expected = new Dictionary<string, long>
        {
            ["default"] = now + 60_000,
            ["ttl"] = now + 5000,
            ["at"] = now + 7000,
            ["never"] = Row.NoExpiry,
            ["deleted"] = Row.NoExpiry,
        };
        AssertMemtable(writer, expected, now);
        await writer.FlushAsync();

        // A second writer replays the WAL into its memtable.
        await using var replayed = await OpenAsync(store, settings, clock);
        AssertMemtable(replayed, expected, now);
        try
        {
            await writer.DisposeAsync();
        }
        catch (FencedException)
        {
        }

        await replayed.FlushAsync(FlushType.MemTable);
        var rows = await StoredRowsAsync(replayed);
        foreach (var (key, expireTs) in expected)
        {
            var row = rows.Single(r => r.Key.Span.SequenceEqual(U(key)));
            Assert.Equal(expireTs, row.ExpireTs);
            Assert.Equal(now, row.CreateTs);
        }

        static void AssertMemtable(SlateDb.Db db, Dictionary<string, long> expected, long now)
        {
            foreach (var (key, expireTs) in expected)
            {
                Assert.True(db.Engine.State.Current.Active.TryGet(U(key), ulong.MaxValue, out var row), key);
                Assert.Equal(expireTs, row.ExpireTs);
                Assert.Equal(now, row.CreateTs);
            }
        }
    }

    [Fact]
    public async Task Merging_without_an_operator_is_refused_naming_the_setting()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore(), WithOperator(null));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.MergeAsync("a", "+1"));
        Assert.Contains("Settings.MergeOperator", error.Message);
        using var batch = new WriteBatch().Put("b", "1").Merge("a", "+1");
        error = await Assert.ThrowsAsync<InvalidOperationException>(() => db.WriteAsync(batch));
        Assert.Contains("Settings.MergeOperator", error.Message);
        Assert.Null(await db.GetAsync("b"));
    }

    [Fact]
    public async Task Reopening_without_the_operator_fails_reads_of_merged_keys_naming_the_key_and_the_setting()
    {
        var store = new InMemoryObjectStore();
        await using (var db = await OpenAsync(store, WithOperator(new AppendOperator())))
        {
            await db.PutAsync("plain", "v", NoWait);
            await db.MergeAsync("merged", "+1", NoWait);
        }

        await using var reopened = await OpenAsync(store, WithOperator(null));
        Assert.Equal("v", S(await reopened.GetAsync("plain")));
        var error = await Assert.ThrowsAsync<MergeOperatorException>(async () => await reopened.GetAsync("merged"));
        Assert.Contains("'merged'", error.Message);
        Assert.Contains("Settings.MergeOperator", error.Message);
        await Assert.ThrowsAsync<MergeOperatorException>(() => reopened.GetManyAsync([U("plain"), U("merged")]));
        await Assert.ThrowsAsync<MergeOperatorException>(() => ScanAsync(reopened.ScanAsync(KeyRange.All)));
    }

    [Fact]
    public async Task An_operator_that_throws_fails_the_read_naming_the_key_and_the_flush_keeps_the_operands()
    {
        var store = new InMemoryObjectStore();
        await using (var db = await OpenAsync(store, WithOperator(new FailingOperator())))
        {
            await db.PutAsync("a", "base", NoWait);
            await db.MergeAsync("a", "!poison", NoWait);
            await db.MergeAsync("b", "+fine", NoWait);
            var error = await Assert.ThrowsAsync<MergeOperatorException>(async () => await db.GetAsync("a"));
            Assert.Contains("'a'", error.Message);
            Assert.Equal("+fine", S(await db.GetAsync("b")));

            using var batch = new WriteBatch().Put("c", "base").Merge("c", "!poison");
            await Assert.ThrowsAsync<MergeOperatorException>(() => db.WriteAsync(batch));
            Assert.Null(await db.GetAsync("c"));

            // The flush cannot fold "a": it stores the rows as they are, and the database stays open.
            await db.FlushAsync(FlushType.MemTable);
            Assert.Equal("a@2:Merge=!poison, a@1:Put=base, b@3:Merge=+fine", Read.TestRows.Show(await StoredRowsAsync(db)));
            await db.PutAsync("d", "still writable");
        }

        // Nothing was lost: an operator that accepts the operand reads it.
        await using var reopened = await OpenAsync(store, WithOperator(new AppendOperator()));
        Assert.Equal("base!poison", S(await reopened.GetAsync("a")));
    }

    [Fact]
    public async Task A_time_to_live_that_is_not_positive_is_refused()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore(), WithOperator(new AppendOperator()));
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.PutAsync("a", "v", new WriteOptions { Ttl = TimeSpan.Zero }));
        Assert.Contains("WriteOptions.Ttl", error.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.MergeAsync("a", "v", new WriteOptions { Ttl = TimeSpan.FromSeconds(-1) }));
        using var batch = new WriteBatch().Put("a", "v");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.WriteAsync(batch, new WriteOptions { Ttl = TimeSpan.FromMilliseconds(-5) }));
        var both = await Assert.ThrowsAsync<ArgumentException>(
            () => db.PutAsync("a", "v", new WriteOptions { Ttl = TimeSpan.FromSeconds(1), ExpiresAt = DateTimeOffset.UnixEpoch }));
        Assert.Contains("ExpiresAt", both.Message);
        await using var tx = db.BeginTransaction();
        tx.Put("a", "v");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => tx.CommitAsync(new WriteOptions { Ttl = TimeSpan.Zero }));
        Assert.Null(await db.GetAsync("a"));

        var settings = new Settings { DefaultTtl = TimeSpan.FromSeconds(-1) };
        var invalid = Assert.Throws<ArgumentOutOfRangeException>(settings.Validate);
        Assert.Contains("Settings.DefaultTtl", invalid.Message);
    }

    [Fact]
    public async Task A_transaction_commit_takes_the_time_to_live_of_its_write_options()
    {
        var clock = Clock();
        await using var db = await OpenAsync(new InMemoryObjectStore(), WithOperator(new AppendOperator()), clock);
        await using (var tx = db.BeginTransaction())
        {
            tx.Put("a", "v");
            await tx.CommitAsync(new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(2) });
        }

        Assert.Equal("v", S(await db.GetAsync("a")));
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await db.GetAsync("a"));
    }

    [Fact]
    public async Task A_reader_resolves_merges_and_expiry_by_its_own_clock()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, WithOperator(new CounterOperator()), clock);
        await db.MergeAsync(U("n"), CounterOperator.Encode(2), NoWait);
        await db.MergeAsync(U("n"), CounterOperator.Encode(3), new WriteOptions { AwaitDurable = false, Ttl = TimeSpan.FromSeconds(1) });
        await db.FlushAsync();
        await using var reader = await DbReader.OpenAsync(DbPath, store, new DbReaderOptions
        {
            TimeProvider = clock,
            ManifestPollInterval = TimeSpan.FromHours(1),
            CheckpointLifetime = TimeSpan.FromHours(3),
            Settings = new Settings { MergeOperator = new CounterOperator() },
        });
        Assert.Equal(5, CounterOperator.Decode(await reader.GetAsync(U("n"))));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, CounterOperator.Decode(await reader.GetAsync(U("n"))));
    }

    [Theory]
    [InlineData(1, "counter")]
    [InlineData(2, "counter")]
    [InlineData(3, "append")]
    [InlineData(4, "append")]
    public async Task Model_merge_and_ttl_workload_with_the_in_process_compactor(int seed, string operatorName)
    {
        IMergeOperator op = operatorName == "counter" ? new CounterOperator() : new AppendOperator();
        var settings = WithOperator(op, Policy());
        settings.FlushInterval = TimeSpan.FromHours(1);
        var workload = new MergeTtlWorkload(
            seed,
            new InMemoryObjectStore(),
            Clock(),
            settings,
            db => db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None),
            operatorName == "counter" ? r => CounterOperator.Encode(r.Next(-50, 100)) : r => Encoding.UTF8.GetBytes($"{(char)('a' + r.Next(26))}"));
        await workload.RunAsync(steps: 400);
    }
}
