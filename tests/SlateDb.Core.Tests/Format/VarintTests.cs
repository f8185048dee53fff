using SlateDb.Format;
using Xunit;

namespace SlateDb.Core.Tests.Format;

public class VarintTests
{
    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(127u)]
    [InlineData(128u)]
    [InlineData(16_383u)]
    [InlineData(16_384u)]
    [InlineData(2_097_151u)]
    [InlineData(268_435_455u)]
    [InlineData(268_435_456u)]
    [InlineData(uint.MaxValue)]
    public void RoundTrips(uint value)
    {
        var buffer = new byte[Varint.MaxLength];
        var written = Varint.Write(buffer, value);
        Assert.Equal(Varint.SizeOf(value), written);
        var position = 0;
        Assert.True(Varint.TryRead(buffer.AsSpan(0, written), ref position, out var read));
        Assert.Equal(value, read);
        Assert.Equal(written, position);
    }

    [Fact]
    public void RejectsTruncatedAndOverlongInput()
    {
        var position = 0;
        Assert.False(Varint.TryRead([0x80, 0x80], ref position, out _));
        position = 0;
        Assert.False(Varint.TryRead([], ref position, out _));
        position = 0;
        Assert.False(Varint.TryRead([0xFF, 0xFF, 0xFF, 0xFF, 0x1F], ref position, out _));
        position = 0;
        Assert.False(Varint.TryRead([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], ref position, out _));
        position = 5;
        Assert.False(Varint.TryRead([0x01], ref position, out _));
    }
}
