using System.Text;
using SlateDb.Format;
using SlateDb.Memtables;
using Xunit;

namespace SlateDb.Core.Tests.RangeDeletes;

/// <summary>The memtable keeps range deletes apart from its rows and applies them in lookups.</summary>
public sealed class RangeTombstoneMemtableTests
{
    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_lookup_reads_a_covered_key_as_deleted_at_the_tombstone_seq_and_a_newer_row_wins()
    {
        var table = new Memtable();
        table.Add(new Row(K("b"), 1, RowKind.Put, K("v1"), 0));
        table.Add(new Row(K("a"), 2, RowKind.RangeDelete, K("c"), 0));
        table.Add(new Row(K("b"), 3, RowKind.Put, K("v3"), 0));

        Assert.True(table.TryGet(K("b"), 2, out var covered));
        Assert.Equal(RowKind.Delete, covered.Kind);
        Assert.Equal(2UL, covered.Seq);
        Assert.True(table.TryGet(K("b"), 1, out var before));
        Assert.Equal(RowKind.Put, before.Kind);
        Assert.True(table.TryGet(K("b"), 3, out var after));
        Assert.Equal("v3", Encoding.UTF8.GetString(after.Value.Span));
        Assert.True(table.TryGet(K("a"), 9, out var start));
        Assert.Equal(RowKind.Delete, start.Kind);
        Assert.False(table.TryGet(K("c"), 9, out _));
        Assert.Equal(3, table.Count);
        Assert.Equal(3UL, table.MaxSeq);
        Assert.Equal(1, table.RangeTombstones.TombstoneCount);
    }

    [Fact]
    public void An_unbounded_range_delete_covers_every_larger_key_and_rows_iterate_without_it()
    {
        var table = new Memtable();
        table.Add(new Row(K("x"), 1, RowKind.Put, K("v"), 0));
        table.Add(new Row(K("m"), 2, RowKind.RangeDelete, ReadOnlyMemory<byte>.Empty, 0));

        Assert.True(table.TryGet(K("zzzz"), 5, out var row));
        Assert.Equal(RowKind.Delete, row.Kind);
        Assert.False(table.TryGet(K("l"), 5, out _));
        Assert.Throws<ArgumentException>(() => table.Add(new Row(K("m"), 3, RowKind.RangeDelete, K("a"), 0)));
    }
}
