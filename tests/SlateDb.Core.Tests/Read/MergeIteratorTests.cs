using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Read;

public class MergeIteratorTests
{
    private static MergeIterator MergeOf(MergeOptions? options, params Row[][] sources)
        => new(sources.Select(rows => (IRowIterator)ArrayRowIterator.FromUnsorted(rows)).ToList(), options);

    [Fact]
    public async Task No_sources_or_empty_sources_yield_nothing()
    {
        Assert.False(await new MergeIterator([]).MoveNextAsync());
        var merge = MergeOf(null, [], []);
        Assert.False(await merge.MoveNextAsync());
        Assert.False(await merge.MoveNextAsync());
    }

    [Fact]
    public async Task Newest_version_of_each_key_wins_across_sources()
    {
        var merge = MergeOf(
            null,
            [Put("b", 9, "b9"), Put("d", 2, "d2")],
            [Put("a", 1, "a1"), Put("b", 3, "b3"), Put("c", 4, "c4")],
            [Put("b", 5, "b5"), Put("d", 7, "d7")]);
        Assert.Equal("a@1:Put=a1, b@9:Put=b9, c@4:Put=c4, d@7:Put=d7", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task All_versions_come_out_in_key_then_descending_seq_order()
    {
        var options = new MergeOptions { NewestOnly = false };
        var merge = MergeOf(options, [Put("b", 9, "b9"), Put("d", 2, "d2")], [Put("b", 3, "b3"), Put("d", 7, "d7")]);
        Assert.Equal("b@9:Put=b9, b@3:Put=b3, d@7:Put=d7, d@2:Put=d2", Show(await DrainAsync(merge)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Same_key_and_seq_in_two_sources_the_earlier_source_wins_once(bool newestOnly)
    {
        var options = new MergeOptions { NewestOnly = newestOnly };
        var merge = MergeOf(options, [Put("k", 5, "from source 0")], [Put("k", 5, "from source 1"), Put("k", 4, "older")]);
        var expected = newestOnly ? "k@5:Put=from source 0" : "k@5:Put=from source 0, k@4:Put=older";
        Assert.Equal(expected, Show(await DrainAsync(merge)));

        // The order of the sources decides, not their content.
        merge = MergeOf(options, [Put("k", 5, "from source 1"), Put("k", 4, "older")], [Put("k", 5, "from source 0")]);
        Assert.StartsWith("k@5:Put=from source 1", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task Tombstones_hide_the_key_or_show_as_rows()
    {
        Row[] newer = [Delete("a", 5), Put("b", 6, "b6")];
        Row[] older = [Put("a", 1, "a1"), Put("c", 2, "c2"), Delete("c", 3)];

        Assert.Equal("b@6:Put=b6", Show(await DrainAsync(MergeOf(null, newer, older))));
        Assert.Equal(
            "a@5:Delete=, b@6:Put=b6, c@3:Delete=",
            Show(await DrainAsync(MergeOf(new MergeOptions { HideTombstones = false }, newer, older))));
        Assert.Equal(
            "a@1:Put=a1, b@6:Put=b6, c@2:Put=c2",
            Show(await DrainAsync(MergeOf(new MergeOptions { NewestOnly = false }, newer, older))));
        Assert.Equal(
            "a@5:Delete=, a@1:Put=a1, b@6:Put=b6, c@3:Delete=, c@2:Put=c2",
            Show(await DrainAsync(MergeOf(new MergeOptions { NewestOnly = false, HideTombstones = false }, newer, older))));
    }

    [Fact]
    public async Task Rows_expired_at_now_count_as_deleted()
    {
        Row[] rows = [Put("a", 3, "a3", createTs: 30, expireTs: 100), Put("a", 1, "a1"), Put("b", 2, "b2", expireTs: 101)];

        // Expiry is inclusive: ExpireTs == now is expired.
        Assert.Equal("b@2:Put=b2(exp 101)", Show(await DrainAsync(MergeOf(new MergeOptions { NowMs = 100 }, rows))));
        Assert.Equal("", Show(await DrainAsync(MergeOf(new MergeOptions { NowMs = 101 }, rows))));
        Assert.Equal(2, (await DrainAsync(MergeOf(new MergeOptions { NowMs = 99 }, rows))).Count);
        Assert.Equal(2, (await DrainAsync(MergeOf(null, rows))).Count); // no now: nothing expires

        var shown = await DrainAsync(MergeOf(new MergeOptions { NowMs = 100, HideTombstones = false }, rows));
        Assert.Equal("a@3:Delete=, b@2:Put=b2(exp 101)", Show(shown));
        Assert.Equal(30, shown[0].CreateTs);
        Assert.False(shown[0].HasExpiry);
    }

    [Fact]
    public async Task Rows_above_max_seq_are_invisible()
    {
        Row[] rows = [Put("a", 9, "a9"), Put("a", 4, "a4"), Put("b", 8, "b8"), Delete("c", 7), Put("c", 2, "c2")];
        Assert.Equal("a@4:Put=a4, c@2:Put=c2", Show(await DrainAsync(MergeOf(new MergeOptions { MaxSeq = 6 }, rows))));
        Assert.Equal("a@4:Put=a4", Show(await DrainAsync(MergeOf(new MergeOptions { MaxSeq = 7 }, rows))));
        Assert.Equal("", Show(await DrainAsync(MergeOf(new MergeOptions { MaxSeq = 0 }, rows))));
    }

    [Fact]
    public async Task Merge_operands_are_yielded_as_rows()
    {
        var merge = MergeOf(new MergeOptions { NewestOnly = false }, [Merge("k", 3, "+1")], [Merge("k", 2, "+2"), Put("k", 1, "base")]);
        Assert.Equal("k@3:Merge=+1, k@2:Merge=+2, k@1:Put=base", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task Seek_repositions_forwards_backwards_and_after_the_end()
    {
        await using var merge = MergeOf(null, [Put("a", 1, "a"), Put("c", 3, "c")], [Put("b", 2, "b"), Put("d", 4, "d")]);
        await merge.SeekAsync(Bytes("b"));
        Assert.Equal("b@2:Put=b, c@3:Put=c, d@4:Put=d", Show(await DrainAsync(merge)));
        await merge.SeekAsync(Bytes("a"));
        Assert.True(await merge.MoveNextAsync());
        Assert.Equal("a@1:Put=a", Show(merge.Current));
        await merge.SeekAsync(Bytes("c\0"));
        Assert.Equal("d@4:Put=d", Show(await DrainAsync(merge)));
        await merge.SeekAsync(Bytes("e"));
        Assert.False(await merge.MoveNextAsync());
    }

    [Fact]
    public async Task Seeking_to_the_key_just_yielded_yields_it_again()
    {
        await using var merge = MergeOf(null, [Put("a", 2, "new")], [Put("a", 1, "old"), Put("b", 1, "b")]);
        Assert.True(await merge.MoveNextAsync());
        await merge.SeekAsync(Bytes("a"));
        Assert.Equal("a@2:Put=new, b@1:Put=b", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task Long_keys_are_recognised_when_skipping_older_versions()
    {
        var key = new string('k', 5000);
        var merge = MergeOf(null, [Put(key, 3, "new"), Put(key + "z", 1, "z")], [Put(key, 2, "old")]);
        var rows = await DrainAsync(merge);
        Assert.Equal(["new", "z"], rows.Select(r => System.Text.Encoding.UTF8.GetString(r.Value.Span)));
    }

    [Fact]
    public async Task Keys_equal_in_their_first_eight_bytes_or_differing_by_trailing_zeros_are_ordered_by_all_bytes()
    {
        // The heap settles comparisons by a zero-padded 8-byte prefix when it can; these keys defeat it.
        byte[][] keys =
        [
            [0x61], [0x61, 0], [0x61, 0, 0, 0, 0, 0, 0, 0], [0x61, 0, 0, 0, 0, 0, 0, 0, 0],
            Bytes("prefix12-A"), Bytes("prefix12-B"), Bytes("prefix12-B0"), Bytes("prefix12"),
        ];
        var sources = new List<Row>[] { [], [], [] };
        for (var i = 0; i < keys.Length; i++)
        {
            sources[(i * 2) % 3].Add(Put(keys[i], (ulong)i + 1, [(byte)i]));
        }

        var merge = new MergeIterator(sources.Select(rows => (IRowIterator)ArrayRowIterator.FromUnsorted(rows)).ToList());
        var actual = (await DrainAsync(merge)).Select(r => r.Key.ToArray()).ToList();
        var expected = keys.OrderBy(k => k, Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b))).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Dispose_disposes_every_source_once_even_when_one_fails()
    {
        var ok = new DisposeTrackingIterator();
        var failing = new DisposeTrackingIterator(new InvalidOperationException("boom"));
        var last = new DisposeTrackingIterator();
        var merge = new MergeIterator([ok, failing, last]);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await merge.DisposeAsync());
        Assert.Equal("boom", error.Message);
        await merge.DisposeAsync();
        Assert.Equal([1, 1, 1], new[] { ok.Disposals, failing.Disposals, last.Disposals });
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await merge.MoveNextAsync());
    }

    [Fact]
    public async Task Memtables_merge_newest_first()
    {
        var older = new SlateDb.Memtables.Memtable();
        older.Add(Put("a", 1, "a1"));
        older.Add(Put("b", 2, "b2"));
        var frozen = older.Freeze(lastWalId: 1);
        var active = new SlateDb.Memtables.Memtable();
        active.Add(Delete("a", 3));
        active.Add(Put("c", 4, "c4"));

        await using var merge = new MergeIterator([active.CreateIterator(KeyRange.All), frozen.CreateIterator(KeyRange.All)]);
        Assert.Equal("b@2:Put=b2, c@4:Put=c4", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task Cancellation_is_observed()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var merge = MergeOf(null, [Put("a", 1, "a")]);
        await Assert.ThrowsAsync<OperationCanceledException>(async () => await merge.MoveNextAsync(cts.Token));
    }

    [Fact]
    public void Null_sources_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new MergeIterator([new ArrayRowIterator(Array.Empty<Row>()), null!]));
        Assert.Contains("Source 1", error.Message);
    }
}
