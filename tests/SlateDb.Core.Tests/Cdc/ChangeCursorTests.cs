using Xunit;

namespace SlateDb.Core.Tests.Cdc;

/// <summary>ChangeCursor: text and bytes round trips, and malformed input.</summary>
public sealed class ChangeCursorTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(42UL, 1017UL)]
    [InlineData(ulong.MaxValue, ulong.MaxValue)]
    public void Text_and_bytes_round_trip(ulong walId, ulong seq)
    {
        var cursor = new ChangeCursor(walId, seq);
        Assert.Equal(cursor, ChangeCursor.Parse(cursor.ToString()));
        Assert.Equal(cursor, ChangeCursor.FromBytes(cursor.ToBytes()));
        Assert.Equal(ChangeCursor.ByteLength, cursor.ToBytes().Length);
        Assert.Equal(walId == 0 && seq == 0, cursor.IsBeginning);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42")]
    [InlineData("42:")]
    [InlineData(":7")]
    [InlineData("-1:7")]
    [InlineData("1:-7")]
    [InlineData("1:2:3")]
    [InlineData(" 1:2")]
    [InlineData("1:18446744073709551616")]
    [InlineData("0x1:2")]
    public void Malformed_text_is_a_format_error_quoting_it(string text)
    {
        var error = Assert.Throws<FormatException>(() => ChangeCursor.Parse(text));
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.False(ChangeCursor.TryParse(text, out _));
    }

    [Fact]
    public void Malformed_bytes_are_a_format_error()
    {
        Assert.Throws<FormatException>(() => ChangeCursor.FromBytes(new byte[3]));
        var bytes = new ChangeCursor(1, 2).ToBytes();
        bytes[0] = 9;
        Assert.Contains("format byte", Assert.Throws<FormatException>(() => ChangeCursor.FromBytes(bytes)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => ChangeCursor.Parse(null!));
        Assert.False(ChangeCursor.TryParse(null, out _));
    }
}
