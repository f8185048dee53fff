using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;
using Table = SlateDb.Memtables.Memtable;

namespace SlateDb.Core.Tests.Memtables;

/// <summary>Staged commits, run merging and seq order: the parts of the memtable that batches rely on.</summary>
public class MemtableRunsTests
{
    [Fact]
    public void Staged_rows_are_invisible_until_commit_and_then_visible_together()
    {
        var table = new Table();
        table.Stage(Put("b", 1, "b1"));
        table.Stage(Put("a", 1, "a1"));
        Assert.True(table.HasStaged);
        Assert.False(table.TryGet(Bytes("a"), ulong.MaxValue, out _));
        Assert.Equal(0, table.Count);

        table.Commit();
        Assert.False(table.HasStaged);
        Assert.Equal(2, table.Count);
        Assert.True(table.TryGet(Bytes("a"), ulong.MaxValue, out var a));
        Assert.Equal("a@1:Put=a1", Show(a));
        Assert.True(table.TryGet(Bytes("b"), ulong.MaxValue, out _));
    }

    [Fact]
    public async Task Discarded_staged_rows_are_never_published_and_the_table_can_freeze()
    {
        var table = new Table();
        table.Add(Put("a", 1, "a1"));
        table.Stage(Put("b", 2, "b2"));
        Assert.Throws<InvalidOperationException>(() => table.Freeze(lastWalId: 0));

        table.DiscardStaged();
        table.Commit();
        Assert.False(table.HasStaged);
        Assert.Equal(1, table.Count);
        var frozen = table.Freeze(lastWalId: 7);
        Assert.Equal(7UL, frozen.LastWalId);
        Assert.Equal("a@1:Put=a1", Show(await DrainAsync(frozen.CreateIterator(KeyRange.All))));
    }

    [Fact]
    public async Task A_commit_with_a_key_twice_at_one_seq_throws_names_it_and_publishes_nothing()
    {
        var table = new Table();
        table.Add(Put("x", 1, "x1"));
        table.Stage(Put("k", 2, "first"));
        table.Stage(Put("m", 2, "m"));
        table.Stage(Put("k", 2, "second"));

        var error = Assert.Throws<InvalidOperationException>(table.Commit);
        Assert.Contains(Convert.ToHexString(Bytes("k")), error.Message);
        Assert.Contains("seq 2", error.Message);

        Assert.False(table.HasStaged);
        Assert.Equal(1, table.Count);
        Assert.Equal(1UL, table.MaxSeq);
        Assert.Equal("x@1:Put=x1", Show(await DrainAsync(table.CreateIterator(KeyRange.All))));

        // The table still takes writes.
        table.Add(Put("k", 3, "k3"));
        Assert.Equal("k@3:Put=k3, x@1:Put=x1", Show(await DrainAsync(table.CreateIterator(KeyRange.All))));
    }

    [Fact]
    public void A_batch_committed_in_parts_may_not_repeat_a_key_of_an_earlier_part()
    {
        var table = new Table();
        table.Add(Put("a", 5, "a"));
        table.Add(Put("b", 5, "b"));
        var error = Assert.Throws<InvalidOperationException>(() => table.Add(Put("a", 5, "again")));
        Assert.Contains("seq 5", error.Message);
        Assert.True(table.TryGet(Bytes("a"), ulong.MaxValue, out var a));
        Assert.Equal("a@5:Put=a", Show(a));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    public async Task Random_batches_match_a_model_for_lookups_at_every_seq_and_scans_before_and_after_freezing(int seed, bool inSeqOrder)
    {
        // Batches of 1 to 120 rows over few keys, so runs of many sizes merge and keys have many versions. Out of seq
        // order, batches take seqs from a shuffled list (lookups then must search every run).
        var random = new Random(seed);
        var table = new Table(chunkSizeBytes: 4096);
        var model = new List<Row>();
        var seqs = Enumerable.Range(1, 400).Select(i => (ulong)i).ToArray();
        if (!inSeqOrder)
        {
            random.Shuffle(seqs);
        }

        foreach (var seq in seqs)
        {
            var keys = new HashSet<string>();
            var size = random.Next(3) == 0 ? 1 : random.Next(12) == 0 ? random.Next(41, 120) : random.Next(1, 41);
            while (keys.Count < size)
            {
                // Keys of 3 to 22 bytes sharing a long prefix, so some comparisons need the bytes after the 16th;
                // the short ones are few distinct keys with many versions.
                var k = random.Next(3000);
                var full = $"tenant-000000000{k % 7}/{k:D4}";
                keys.Add(full[..(full.Length - (k % 20))]);
            }

            foreach (var key in keys)
            {
                var k = key.Length;
                var row = random.Next(5) == 0 ? Delete(key, seq) : Put(key, seq, $"v{seq}/{k}");
                model.Add(row);
                table.Stage(row);
            }

            table.Commit();
        }

        model.Sort((a, b) => RowOrder.Compare(a, b));
        Assert.True(model.Count == table.Count, $"seed {seed}: {table.Count} rows, expected {model.Count}");
        await AssertMatchesAsync(table, model, random, seed);

        table.Freeze(lastWalId: 0);
        await AssertMatchesAsync(table, model, random, seed);

        var newest = await DrainAsync(table.CreateNewestIterator());
        var expectedNewest = model.Where((row, i) => i == 0 || !row.Key.Span.SequenceEqual(model[i - 1].Key.Span)).ToList();
        Assert.True(Show(expectedNewest) == Show(newest), $"seed {seed}: the newest-only view differs");
    }

    [Fact]
    public async Task A_large_table_keeps_runs_of_bounded_size_finds_the_newest_version_and_compacts_when_frozen()
    {
        // 400 k rows in batches of 100 over 60 k keys: pushes stop merging at MaxMergedEntries, so the table holds
        // several large runs, and most keys have versions in more than one of them.
        const int Keys = 60_000;
        var table = new Table();
        var newest = new ulong[Keys];
        var random = new Random(5);
        ulong seq = 0;
        var batch = new HashSet<int>();
        for (var b = 0; b < 4000; b++)
        {
            seq++;
            batch.Clear();
            while (batch.Count < 100)
            {
                batch.Add(random.Next(Keys));
            }

            foreach (var k in batch)
            {
                table.Stage(Put($"key{k:D8}", seq, $"{seq}"));
                newest[k] = seq;
            }

            table.Commit();
        }

        Assert.Equal(400_000, table.Count);
        Assert.InRange(table.LargestRun, 1, SlateDb.Memtables.SortedRuns.MaxMergedEntries);
        Assert.InRange(table.RunCount, 400_000 / SlateDb.Memtables.SortedRuns.MaxMergedEntries, 20);
        for (var k = 0; k < Keys; k += 7)
        {
            var found = table.TryGet(Bytes($"key{k:D8}"), ulong.MaxValue, out var row);
            Assert.Equal(newest[k] != 0, found);
            if (found)
            {
                Assert.Equal(newest[k], row.Seq);
            }
        }

        table.Freeze(lastWalId: 0);
        var rows = await DrainAsync(table.CreateNewestIterator());
        Assert.Equal(1, table.RunCount);
        Assert.Equal(newest.Count(s => s != 0), rows.Count);
        Assert.All(rows, r => Assert.Equal(newest[int.Parse(System.Text.Encoding.ASCII.GetString(r.Key.Span[3..]), System.Globalization.CultureInfo.InvariantCulture)], r.Seq));
    }

    [Fact]
    public async Task Readers_see_each_commit_whole_while_the_writer_commits()
    {
        // Every commit writes keys 0..9 at one seq; a snapshot must show all ten keys at the same newest seq.
        var table = new Table(chunkSizeBytes: 64 * 1024);
        var done = false;
        var writer = Task.Run(() =>
        {
            for (ulong seq = 1; seq <= 3000; seq++)
            {
                for (var k = 9; k >= 0; k--)
                {
                    table.Stage(Put($"key{k}", seq, $"{seq}"));
                }

                table.Commit();
            }

            Volatile.Write(ref done, true);
        });

        var checks = 0;
        while (!Volatile.Read(ref done) || checks == 0)
        {
            var newest = await DrainAsync(table.CreateNewestIterator());
            if (newest.Count > 0)
            {
                Assert.Equal(10, newest.Count);
                Assert.All(newest, row => Assert.Equal(newest[0].Seq, row.Seq));
            }

            checks++;
        }

        await writer;
        Assert.Equal(30_000, table.Count);
    }

    private static async Task AssertMatchesAsync(Table table, List<Row> model, Random random, int seed)
    {
        Assert.True(Show(model) == Show(await DrainAsync(table.CreateIterator(KeyRange.All))), $"seed {seed}: the scan differs");
        for (var i = 0; i < 2000; i++)
        {
            var probe = model[random.Next(model.Count)];
            var maxSeq = (ulong)random.Next(0, 402);
            var expected = model.Where(r => r.Key.Span.SequenceEqual(probe.Key.Span) && r.Seq <= maxSeq).Select(Show).FirstOrDefault();
            var found = table.TryGet(probe.Key.Span, maxSeq, out var row);
            Assert.True(expected == (found ? Show(row) : null), $"seed {seed}: get {Show(probe)} at {maxSeq}");
        }

        var start = model[random.Next(model.Count)].Key;
        var iterator = table.CreateIterator(KeyRange.All);
        await iterator.SeekAsync(start);
        var fromStart = model.Where(r => r.Key.Span.SequenceCompareTo(start.Span) >= 0).ToList();
        Assert.True(Show(fromStart) == Show(await DrainAsync(iterator)), $"seed {seed}: the scan after a seek differs");
    }
}
