using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;
using Table = SlateDb.Memtables.Memtable;

namespace SlateDb.Core.Tests.Memtables;

public class MemtableIteratorTests
{
    // b@2 b@1 d@4 d@3 f@5
    private static Table Sample()
    {
        var table = new Table();
        table.Add(Put("d", 3, "d3"));
        table.Add(Put("b", 1, "b1"));
        table.Add(Put("f", 5, "f5"));
        table.Add(Put("b", 2, "b2"));
        table.Add(Delete("d", 4));
        return table;
    }

    [Fact]
    public async Task Empty_table_yields_nothing_and_stays_exhausted()
    {
        var iterator = new Table().CreateIterator(KeyRange.All);
        Assert.False(await iterator.MoveNextAsync());
        Assert.False(await iterator.MoveNextAsync());
    }

    [Fact]
    public async Task Full_scan_yields_every_version_in_order()
    {
        var rows = await DrainAsync(Sample().CreateIterator(KeyRange.All));
        Assert.Equal("b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3, f@5:Put=f5", Show(rows));
    }

    [Theory]
    [InlineData("a", "b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3, f@5:Put=f5")] // before the first key
    [InlineData("b", "b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3, f@5:Put=f5")] // exact: all versions of it
    [InlineData("c", "d@4:Delete=, d@3:Put=d3, f@5:Put=f5")] // between keys
    [InlineData("d", "d@4:Delete=, d@3:Put=d3, f@5:Put=f5")]
    [InlineData("d\0", "f@5:Put=f5")] // just past a key
    [InlineData("f", "f@5:Put=f5")] // the last key
    [InlineData("g", "")] // past the last key
    public async Task Seek_positions_at_the_first_row_with_a_key_at_or_after_the_target(string target, string expected)
    {
        var iterator = Sample().CreateIterator(KeyRange.All);
        await iterator.SeekAsync(Bytes(target));
        Assert.Equal(expected, Show(await DrainAsync(iterator)));
    }

    [Fact]
    public async Task Seek_backwards_and_after_exhaustion_repositions()
    {
        var iterator = Sample().CreateIterator(KeyRange.All);
        await iterator.SeekAsync(Bytes("e"));
        Assert.True(await iterator.MoveNextAsync());
        Assert.Equal("f@5:Put=f5", Show(iterator.Current));
        Assert.False(await iterator.MoveNextAsync());

        await iterator.SeekAsync(Bytes("b"));
        Assert.True(await iterator.MoveNextAsync());
        Assert.Equal("b@2:Put=b2", Show(iterator.Current));

        // Backwards from the middle of the scan.
        await iterator.SeekAsync(Bytes("a"));
        Assert.Equal(5, (await DrainAsync(iterator)).Count);
    }

    [Fact]
    public async Task Ranges_bound_the_scan_start_inclusive_end_exclusive()
    {
        var table = Sample();
        Assert.Equal("b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3", Show(await DrainAsync(table.CreateIterator(KeyRange.Between("b", "f")))));
        Assert.Equal("d@4:Delete=, d@3:Put=d3", Show(await DrainAsync(table.CreateIterator(KeyRange.Between("c", "e")))));
        Assert.Equal("", Show(await DrainAsync(table.CreateIterator(KeyRange.Between("c", "c")))));
        Assert.Equal("d@4:Delete=, d@3:Put=d3, f@5:Put=f5", Show(await DrainAsync(table.CreateIterator(KeyRange.From("d")))));
        Assert.Equal("f@5:Put=f5", Show(await DrainAsync(table.CreateIterator(KeyRange.Prefix("f")))));
        Assert.Equal("", Show(await DrainAsync(table.CreateIterator(KeyRange.Prefix("e")))));
    }

    [Fact]
    public async Task Seek_is_clamped_to_the_range()
    {
        var iterator = Sample().CreateIterator(KeyRange.Between("c", "e"));

        await iterator.SeekAsync(Bytes("a")); // before the range start: lands on the start
        Assert.Equal("d@4:Delete=, d@3:Put=d3", Show(await DrainAsync(iterator)));

        await iterator.SeekAsync(Bytes("e")); // at the exclusive end: nothing
        Assert.False(await iterator.MoveNextAsync());

        await iterator.SeekAsync(Bytes("z")); // past the end: nothing
        Assert.False(await iterator.MoveNextAsync());
    }

    [Fact]
    public async Task An_iterator_sees_the_rows_committed_when_it_was_created_even_after_a_seek()
    {
        var table = Sample();
        var iterator = table.CreateIterator(KeyRange.All);
        Assert.True(await iterator.MoveNextAsync()); // b@2

        table.Add(Put("a", 9, "behind"));
        table.Add(Put("e", 9, "ahead"));

        var rest = await DrainAsync(iterator);
        Assert.Equal("b@1:Put=b1, d@4:Delete=, d@3:Put=d3, f@5:Put=f5", Show(rest));

        await iterator.SeekAsync(Bytes("a"));
        Assert.Equal("b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3, f@5:Put=f5", Show(await DrainAsync(iterator)));
        Assert.Equal(
            "a@9:Put=behind, b@2:Put=b2, b@1:Put=b1, d@4:Delete=, d@3:Put=d3, e@9:Put=ahead, f@5:Put=f5",
            Show(await DrainAsync(table.CreateIterator(KeyRange.All))));
    }

    [Fact]
    public async Task Current_row_outlives_the_next_move()
    {
        // Memtable rows point into the arena, so they stay valid after the iterator moves (stronger than the
        // IRowIterator contract requires).
        var iterator = Sample().CreateIterator(KeyRange.All);
        Assert.True(await iterator.MoveNextAsync());
        var first = iterator.Current;
        await DrainAsync(iterator);
        Assert.Equal("b@2:Put=b2", Show(first));
        await iterator.DisposeAsync();
    }
}
