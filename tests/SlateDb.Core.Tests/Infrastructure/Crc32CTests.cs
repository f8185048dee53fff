using SlateDb.Infrastructure;
using Xunit;

namespace SlateDb.Core.Tests.Infrastructure;

public sealed class Crc32CTests
{
    // Bit-at-a-time CRC-32C (reflected polynomial 0x82F63B78): slow and obviously right.
    private static uint Reference(uint checksum, ReadOnlySpan<byte> data)
    {
        var crc = ~checksum;
        foreach (var b in data)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
            }
        }

        return ~crc;
    }

    [Fact]
    public void Matches_the_standard_check_value()
        => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Matches_the_reference_for_every_length_around_the_interleaving_thresholds()
    {
        const int Seed = 99;
        var data = new byte[(6 * Crc32C.InterleaveMinLength) + 64];
        new Random(Seed).NextBytes(data);
        for (var length = 0; length <= data.Length; length++)
        {
            var span = data.AsSpan(length % 7, Math.Min(length, data.Length - (length % 7)));
            Assert.True(Reference(0, span) == Crc32C.Compute(span), $"seed {Seed}: length {span.Length} at offset {length % 7}");
        }
    }

    [Fact]
    public void Appending_in_pieces_equals_one_pass()
    {
        const int Seed = 7;
        var random = new Random(Seed);
        var data = new byte[20_000];
        random.NextBytes(data);
        Assert.Equal(Reference(0, data), Crc32C.Compute(data));
        for (var trial = 0; trial < 200; trial++)
        {
            var cut = random.Next(data.Length + 1);
            var end = cut + random.Next(data.Length - cut + 1);
            var initial = (uint)random.Next();
            var expected = Reference(initial, data.AsSpan(0, end));
            var actual = Crc32C.Append(Crc32C.Append(initial, data.AsSpan(0, cut)), data.AsSpan(cut, end - cut));
            Assert.True(expected == actual, $"seed {Seed}: trial {trial}, cut {cut}, end {end}");
        }
    }
}
