using SlateDb.Format;
using SlateDb.Testing.Merging;
using Xunit;

namespace SlateDb.Core.Tests.Merging;

public class WriteBatchMergeTests
{
    private static string Rows(WriteBatch batch)
    {
        var rows = new List<string>();
        for (var i = 0; i < batch.EntryCount; i++)
        {
            if (!batch.IsSuperseded(i))
            {
                var row = batch.GetRow(i, 1, 0);
                rows.Add($"{System.Text.Encoding.UTF8.GetString(row.Key.Span)}:{row.Kind}={System.Text.Encoding.UTF8.GetString(row.Value.Span)}");
            }
        }

        return string.Join(", ", rows);
    }

    [Fact]
    public void Merges_on_one_key_fold_onto_what_the_batch_wrote_before_them()
    {
        using var batch = new WriteBatch()
            .Put("a", "base").Merge("a", "+1").Merge("a", "+2")
            .Merge("b", "+1").Merge("b", "+2")
            .Delete("c").Merge("c", "+1")
            .Merge("d", "+1").Put("d", "replaced")
            .Merge("e", "+1");
        Assert.Equal(5, batch.Count);
        Assert.True(batch.HasMerges);
        var folded = batch.FoldMerges(new AppendOperator());
        Assert.Equal("a:Put=base+1+2, b:Merge=+1+2, c:Put=+1, d:Put=replaced, e:Merge=+1", Rows(folded));
    }

    [Fact]
    public void A_merge_on_a_deleted_key_of_the_batch_applies_to_no_value_not_to_an_empty_one()
    {
        using var batch = new WriteBatch().Delete("n"u8).Merge("n"u8, CounterOperator.Encode(3));
        var folded = batch.FoldMerges(new CounterOperator());
        var row = folded.GetRow(0, 1, 0);
        Assert.Equal(RowKind.Put, row.Kind);
        Assert.Equal(3, CounterOperator.Decode(row.Value.Span));
    }

    [Fact]
    public void A_batch_without_merge_chains_is_written_as_it_is()
    {
        using var batch = new WriteBatch().Put("a", "1").Merge("b", "+1");
        Assert.Same(batch, batch.FoldMerges(new AppendOperator()));
    }

    [Fact]
    public void An_operator_that_throws_names_the_key()
    {
        using var batch = new WriteBatch().Put("a", "base").Merge("a", "!bad");
        var error = Assert.Throws<MergeOperatorException>(() => batch.FoldMerges(new FailingOperator()));
        Assert.Contains("'a'", error.Message);
    }

    [Fact]
    public void Puts_and_merges_get_the_write_expiry_and_deletes_never_expire()
    {
        using var batch = new WriteBatch().Put("a", "1").Merge("b", "+1").Delete("c");
        Assert.Equal(500, batch.GetRow(0, 1, 0, 500).ExpireTs);
        Assert.Equal(500, batch.GetRow(1, 1, 0, 500).ExpireTs);
        Assert.Equal(Row.NoExpiry, batch.GetRow(2, 1, 0, 500).ExpireTs);
    }
}
