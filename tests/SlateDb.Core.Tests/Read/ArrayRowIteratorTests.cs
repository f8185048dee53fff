using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Read;

public class ArrayRowIteratorTests
{
    [Fact]
    public void Out_of_order_or_repeated_rows_are_rejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new ArrayRowIterator(new[] { Put("b", 1, ""), Put("a", 1, "") }));
        Assert.Contains("row 1", error.Message);
        Assert.Throws<ArgumentException>(() => new ArrayRowIterator(new[] { Put("a", 1, ""), Put("a", 2, "") }));
        Assert.Throws<ArgumentException>(() => new ArrayRowIterator(new[] { Put("a", 1, ""), Put("a", 1, "") }));
    }

    [Fact]
    public async Task Iterates_and_seeks_by_key()
    {
        var iterator = ArrayRowIterator.FromUnsorted([Put("c", 1, "c"), Put("a", 1, "a1"), Put("a", 2, "a2")]);
        Assert.Equal("a@2:Put=a2, a@1:Put=a1, c@1:Put=c", Show(await DrainAsync(iterator)));
        Assert.False(await iterator.MoveNextAsync());

        await iterator.SeekAsync(Bytes("a"));
        Assert.Equal("a@2:Put=a2, a@1:Put=a1, c@1:Put=c", Show(await DrainAsync(iterator)));
        await iterator.SeekAsync(Bytes("b"));
        Assert.Equal("c@1:Put=c", Show(await DrainAsync(iterator)));
        await iterator.SeekAsync(Bytes("d"));
        Assert.False(await iterator.MoveNextAsync());
    }
}
