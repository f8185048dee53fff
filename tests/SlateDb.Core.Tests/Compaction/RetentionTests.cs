using SlateDb.Compaction;
using SlateDb.Core.Tests.Read;
using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Compaction;

public class RetentionTests
{
    // Sources newest first, merged as a compaction merges them (every version), then filtered.
    private static async Task<string> RetainAsync(ulong minSeq, bool bottom, params Row[][] sources)
    {
        var merge = new MergeIterator(
            sources.Select(rows => (IRowIterator)ArrayRowIterator.FromUnsorted(rows)).ToList(),
            new MergeOptions { NewestOnly = false, HideTombstones = false });
        await using var retained = new RetentionIterator(merge, minSeq, bottom);
        return Show(await DrainAsync(retained));
    }

    [Fact]
    public async Task Shadowed_versions_at_or_below_min_seq_are_dropped()
    {
        var result = await RetainAsync(
            minSeq: 100, bottom: false, [Put("a", 9, "a9"), Put("b", 3, "b3")], [Put("a", 5, "a5"), Put("a", 1, "a1"), Put("b", 2, "b2")]);
        Assert.Equal("a@9:Put=a9, b@3:Put=b3", result);
    }

    [Fact]
    public async Task Every_version_above_min_seq_and_the_newest_at_or_below_it_are_kept()
    {
        var result = await RetainAsync(
            minSeq: 5, bottom: false, [Put("a", 9, "a9"), Put("a", 7, "a7")], [Put("a", 5, "a5"), Put("a", 4, "a4"), Put("a", 1, "a1")]);
        Assert.Equal("a@9:Put=a9, a@7:Put=a7, a@5:Put=a5", result);

        var between = await RetainAsync(minSeq: 6, bottom: false, [Put("a", 9, "a9"), Put("a", 5, "a5"), Put("a", 4, "a4")]);
        Assert.Equal("a@9:Put=a9, a@5:Put=a5", between);
    }

    [Fact]
    public async Task A_tombstone_base_is_kept_above_the_bottom_and_dropped_with_what_it_hides_at_the_bottom()
    {
        Row[] rows = [Delete("a", 8), Put("a", 3, "a3"), Put("b", 2, "b2")];
        Assert.Equal("a@8:Delete=, b@2:Put=b2", await RetainAsync(minSeq: 10, bottom: false, rows));
        Assert.Equal("b@2:Put=b2", await RetainAsync(minSeq: 10, bottom: true, rows));
    }

    [Fact]
    public async Task A_tombstone_above_min_seq_is_kept_even_at_the_bottom()
    {
        // A reader at seq 5 still sees a3 through it; one at seq 9 sees the tombstone.
        var result = await RetainAsync(minSeq: 5, bottom: true, [Delete("a", 8), Put("a", 3, "a3"), Put("a", 2, "a2")]);
        Assert.Equal("a@8:Delete=, a@3:Put=a3", result);
    }

    [Fact]
    public async Task Rows_keep_their_kind_and_expiry()
    {
        var result = await RetainAsync(
            minSeq: 100, bottom: true, [Put("a", 9, "a9", createTs: 5, expireTs: 42), Put("a", 2, "old")], [Put("b", 3, "b3", expireTs: 7)]);
        Assert.Equal("a@9:Put=a9(exp 42), b@3:Put=b3(exp 7)", result);
    }

    [Fact]
    public async Task Merge_operands_under_the_base_are_kept_down_to_a_put()
    {
        var result = await RetainAsync(minSeq: 100, bottom: true, [Merge("a", 9, "+1"), Merge("a", 7, "+2"), Put("a", 5, "base"), Put("a", 2, "old")]);
        Assert.Equal("a@9:Merge=+1, a@7:Merge=+2, a@5:Put=base", result);
    }
}
