using Xunit;

namespace SlateDb.Core.Tests.Db;

public sealed class KeyRangeTests
{
    [Fact]
    public void A_prefix_of_only_0xFF_bytes_has_no_end()
    {
        var range = KeyRange.Prefix(new byte[] { 0xFF, 0xFF });
        Assert.Null(range.End);
        Assert.True(range.Contains(new byte[] { 0xFF, 0xFF }));
        Assert.True(range.Contains(new byte[] { 0xFF, 0xFF, 0x00, 0x01 }));
        Assert.False(range.Contains(new byte[] { 0xFF, 0xFE }));
    }

    [Fact]
    public void A_prefix_ends_at_its_successor()
    {
        var range = KeyRange.Prefix(new byte[] { 0x61, 0xFF });
        Assert.Equal(new byte[] { 0x62 }, range.End!.Value.ToArray());
        Assert.True(range.Contains(new byte[] { 0x61, 0xFF, 0x00 }));
        Assert.False(range.Contains(new byte[] { 0x62 }));
    }
}
