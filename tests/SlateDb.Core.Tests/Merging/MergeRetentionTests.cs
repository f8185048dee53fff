using SlateDb.Compaction;
using SlateDb.Core.Tests.Read;
using SlateDb.Format;
using SlateDb.Read;
using SlateDb.Testing.Merging;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Merging;

/// <summary>How compaction and flush retention fold merge operands and expire rows.</summary>
public class MergeRetentionTests
{
    private static async Task<string> RetainAsync(ulong minSeq, bool bottom, long nowMs, IMergeOperator? op, params Row[] rows)
    {
        var failures = new List<string>();
        var merge = new MergeIterator([ArrayRowIterator.FromUnsorted(rows)], new MergeOptions { NewestOnly = false, HideTombstones = false });
        await using var retained = new RetentionIterator(
            merge, minSeq, bottom, nowMs, op, (key, e) => failures.Add($"{System.Text.Encoding.UTF8.GetString(key.Span)}: {e.Message}"));
        var result = Show(await DrainAsync(retained));
        return failures.Count == 0 ? result : result + " | failed " + string.Join("; ", failures);
    }

    [Fact]
    public async Task Operands_at_or_below_min_seq_fold_onto_their_put_into_one_put()
    {
        var result = await RetainAsync(100, false, 0, new AppendOperator(), Merge("a", 9, "+2"), Merge("a", 8, "+1"), Put("a", 5, "base"), Put("a", 2, "old"), Merge("b", 4, "+b"));
        Assert.Equal("a@9:Put=base+1+2, b@4:Merge=+b", result);
    }

    [Fact]
    public async Task Operands_above_min_seq_stay_as_they_are_for_the_snapshots_that_read_between_them()
    {
        var result = await RetainAsync(8, false, 0, new AppendOperator(), Merge("a", 10, "+3"), Merge("a", 9, "+2"), Merge("a", 8, "+1"), Put("a", 5, "base"), Put("a", 2, "old"));
        Assert.Equal("a@10:Merge=+3, a@9:Merge=+2, a@8:Put=base+1", result);
    }

    [Fact]
    public async Task A_chain_without_a_base_stays_an_operand_above_the_bottom_and_becomes_a_value_at_the_bottom()
    {
        Assert.Equal("a@9:Merge=+1+2", await RetainAsync(100, false, 0, new AppendOperator(), Merge("a", 9, "+2"), Merge("a", 8, "+1")));
        Assert.Equal("a@9:Put=+1+2", await RetainAsync(100, true, 0, new AppendOperator(), Merge("a", 9, "+2"), Merge("a", 8, "+1")));
        Assert.Equal("a@9:Put=+1+2", await RetainAsync(100, true, 0, new AppendOperator(), Merge("a", 9, "+2"), Merge("a", 8, "+1"), Delete("a", 4), Put("a", 2, "old")));
    }

    [Fact]
    public async Task Operands_with_different_expiry_times_are_not_folded_together()
    {
        var result = await RetainAsync(
            100, false, 0, new AppendOperator(), Merge("a", 9, "+3", expireTs: 500), Merge("a", 8, "+2", expireTs: 500), Merge("a", 7, "+1"), Put("a", 5, "base", expireTs: 900));
        Assert.Equal("a@9:Merge=+2+3(exp 500), a@7:Merge=+1, a@5:Put=base(exp 900)", result);

        var sameAsBase = await RetainAsync(100, false, 0, new AppendOperator(), Merge("a", 9, "+1", expireTs: 900), Put("a", 5, "base", expireTs: 900));
        Assert.Equal("a@9:Put=base+1(exp 900)", sameAsBase);
    }

    [Fact]
    public async Task Expired_puts_become_tombstones_dropped_at_the_bottom_and_expired_operands_are_dropped()
    {
        Row[] rows = [Merge("a", 9, "+x", expireTs: 50), Put("a", 7, "v", expireTs: 100), Put("a", 3, "old"), Put("b", 8, "b8", expireTs: 100), Put("c", 2, "c2", expireTs: 101)];
        Assert.Equal("a@7:Delete=, b@8:Delete=, c@2:Put=c2(exp 101)", await RetainAsync(100, false, 100, new AppendOperator(), rows));
        Assert.Equal("c@2:Put=c2(exp 101)", await RetainAsync(100, true, 100, new AppendOperator(), rows));

        // Above min seq the same holds (every reader sees it so), and the tombstone is kept even at the bottom.
        Assert.Equal("a@7:Delete=, a@3:Put=old, b@8:Delete=, c@2:Put=c2(exp 101)", await RetainAsync(5, true, 100, new AppendOperator(), rows));
    }

    [Fact]
    public async Task An_operator_that_throws_leaves_the_chain_unfolded_and_reports_the_key()
    {
        var result = await RetainAsync(100, true, 0, new FailingOperator(), Merge("a", 9, "!boom"), Merge("a", 8, "+1"), Put("a", 5, "base"), Put("a", 2, "old"), Merge("b", 3, "+b"));
        Assert.Equal("a@9:Merge=!boom, a@8:Merge=+1, a@5:Put=base, b@3:Put=+b | failed a: the operand is poisoned", result);
    }

    [Fact]
    public async Task Without_an_operator_the_chain_is_kept_down_to_its_base()
    {
        var result = await RetainAsync(100, true, 0, null, Merge("a", 9, "+2"), Merge("a", 8, "+1"), Put("a", 5, "base"), Put("a", 2, "old"));
        Assert.Equal("a@9:Merge=+2, a@8:Merge=+1, a@5:Put=base", result);
    }
}
