using SlateDb.Infrastructure;
using Xunit;

namespace SlateDb.Core.Tests.Infrastructure;

public class UlidTests
{
    [Fact]
    public void The_reference_ulid_decodes_to_its_timestamp_and_formats_back()
    {
        const string text = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

        var ulid = Ulid.Parse(text);

        Assert.Equal(1469922850259L, ulid.TimestampMs);
        Assert.Equal(text, ulid.ToString());
    }

    [Fact]
    public void Min_and_max_have_their_canonical_spellings()
    {
        Assert.Equal("00000000000000000000000000", Ulid.MinValue.ToString());
        Assert.Equal("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", Ulid.MaxValue.ToString());
        Assert.Equal(Ulid.MaxValue, Ulid.Parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        Assert.Equal(Ulid.MaxTimestampMs, Ulid.MaxValue.TimestampMs);
    }

    [Fact]
    public void Create_puts_the_timestamp_first_and_the_randomness_after()
    {
        byte[] random = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A];

        var ulid = Ulid.Create(0x0000_1234_5678_9ABC, random);
        var bytes = ulid.ToByteArray();

        Assert.Equal(0x1234_5678_9ABCL, ulid.TimestampMs);
        Assert.Equal(new byte[] { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC }, bytes[..6]);
        Assert.Equal(random, bytes[6..]);
        Assert.Equal(ulid, Ulid.FromBytes(bytes));
    }

    [Fact]
    public void Random_ulids_round_trip_through_text_and_bytes()
    {
        const ulong seed = 20240601;
        var random = new DbRandom(seed);
        for (var i = 0; i < 1000; i++)
        {
            var ulid = random.NextUlid(random.NextInt64(0, Ulid.MaxTimestampMs + 1));
            var text = ulid.ToString();

            Assert.True(ulid == Ulid.Parse(text), $"seed {seed}, #{i}: {text}");
            Assert.True(Ulid.TryParse(text.ToLowerInvariant(), out var lower) && lower == ulid, $"seed {seed}, #{i}: lowercase {text}");
            Assert.True(ulid == Ulid.FromBytes(ulid.ToByteArray()), $"seed {seed}, #{i}: bytes");
            Assert.True(new Ulid(ulid.High, ulid.Low) == ulid);
        }
    }

    [Fact]
    public void String_order_byte_order_and_comparison_agree_and_follow_the_timestamp()
    {
        const ulong seed = 7;
        var random = new DbRandom(seed);
        var ulids = Enumerable.Range(0, 500)
            .Select(_ => random.NextUlid(1_700_000_000_000 + random.NextInt64(0, 100)))
            .ToList();

        var byValue = ulids.Order().ToList();
        var byString = ulids.OrderBy(u => u.ToString(), StringComparer.Ordinal).ToList();
        var byBytes = ulids.OrderBy(u => Convert.ToHexString(u.ToByteArray()), StringComparer.Ordinal).ToList();

        Assert.True(byValue.SequenceEqual(byString), $"seed {seed}: string order differs");
        Assert.True(byValue.SequenceEqual(byBytes), $"seed {seed}: byte order differs");
        Assert.True(byValue.Select(u => u.TimestampMs).SequenceEqual(byValue.Select(u => u.TimestampMs).Order()), $"seed {seed}: timestamps out of order");
    }

    [Fact]
    public void Comparison_operators_are_consistent()
    {
        var a = Ulid.MinAt(5);
        var b = new Ulid(a.High, 1);
        var c = Ulid.MinAt(6);

        Assert.True(a < b && b < c && a <= Ulid.MinAt(5) && c >= b && c > a);
        Assert.True(a != b && a == Ulid.MinAt(5));
        Assert.Equal(-1, a.CompareTo(b));
        Assert.Equal(a.GetHashCode(), Ulid.MinAt(5).GetHashCode());
        Assert.True(Ulid.MaxValue > c);
    }

    [Theory]
    [InlineData("")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAVV")]
    [InlineData("81ARZ3NDEKTSV4RRFFQ69G5FAV")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAI")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAL")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAO")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FAU")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA-")]
    [InlineData("01ARZ3NDEKTSV4RRFFQ69G5FA\u00C9")]
    public void Malformed_text_is_rejected(string text)
    {
        Assert.False(Ulid.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => Ulid.Parse(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_range_inputs_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Ulid.MinAt(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Ulid.Create(Ulid.MaxTimestampMs + 1, new byte[10]));
        Assert.Throws<ArgumentException>(() => Ulid.Create(0, new byte[9]));
        Assert.Throws<ArgumentException>(() => Ulid.FromBytes(new byte[15]));
        Assert.Throws<ArgumentException>(() => Ulid.MinValue.WriteBytes(new byte[15]));
        Assert.False(Ulid.MaxValue.TryFormat(new char[25], out var written));
        Assert.Equal(0, written);
    }
}
