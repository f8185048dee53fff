using SlateDb.Format;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

public class BloomFilterTests
{
    private static BloomFilter Build(int keyCount, int bitsPerKey, string prefix = "key-")
    {
        var hashes = Enumerable.Range(0, keyCount).Select(i => BloomFilter.Hash(NumberKey(i, prefix))).ToArray();
        var buffer = new ByteBuffer(1024);
        BloomFilter.Write(buffer, hashes, bitsPerKey);
        return BloomFilter.Decode(buffer.WrittenMemory.ToArray(), "f.sst");
    }

    [Fact]
    public void HasNoFalseNegatives()
    {
        var filter = Build(5000, 10);
        for (var i = 0; i < 5000; i++)
        {
            Assert.True(filter.MightContain(NumberKey(i)), $"key {i} was added but the filter rejects it");
        }
    }

    [Theory]
    [InlineData(10, 0.0082)]
    [InlineData(6, 0.056)]
    [InlineData(16, 0.00046)]
    public void FalsePositiveRateIsNearTheory(int bitsPerKey, double theory)
    {
        const int Keys = 20_000;
        const int Probes = 200_000;
        var filter = Build(Keys, bitsPerKey);
        var falsePositives = 0;
        for (var i = 0; i < Probes; i++)
        {
            if (filter.MightContain(NumberKey(i, "absent-")))
            {
                falsePositives++;
            }
        }

        var rate = (double)falsePositives / Probes;
        Assert.InRange(rate, theory * 0.6, theory * 1.5);
    }

    [Fact]
    public void UsesSevenProbesForTenBitsPerKey()
    {
        Assert.Equal(7, BloomFilter.ProbesFor(10));
        Assert.Equal(1, BloomFilter.ProbesFor(1));
        Assert.Equal(30, BloomFilter.ProbesFor(64));
    }

    [Fact]
    public void HashSpreadsSimilarKeys()
    {
        var hashes = new HashSet<ulong>();
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(hashes.Add(BloomFilter.Hash(NumberKey(i))));
        }

        Assert.NotEqual(BloomFilter.Hash([1]), BloomFilter.Hash([1, 0]));
        Assert.NotEqual(BloomFilter.Hash([]), BloomFilter.Hash([0]));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 7 })]
    [InlineData(new byte[] { 0, 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(new byte[] { 31, 1, 2, 3, 4, 5, 6, 7, 8 })]
    [InlineData(new byte[] { 7, 1, 2, 3, 4, 5, 6, 7 })]
    public void RejectsMalformedFilters(byte[] payload)
    {
        var e = Assert.Throws<CorruptionException>(() => BloomFilter.Decode(payload, "f.sst"));
        Assert.Contains("filter", e.Detail, StringComparison.Ordinal);
    }
}
