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
    [InlineData(6)]
    [InlineData(10)]
    [InlineData(16)]
    public void FalsePositiveRateIsNearTheory(int bitsPerKey)
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
        var theory = BlockedTheory(bitsPerKey);
        Assert.InRange(rate, theory * 0.7, theory * 1.4);
        if (bitsPerKey == 10)
        {
            Assert.InRange(rate, 0.005, 0.012);   // the classic filter's 0.82 %, plus the blocking's small excess
        }
    }

    // The expected rate of a filter of 512-bit blocks: keys per block are Poisson distributed, and a block holding j
    // keys answers yes to an absent key with probability (1 - (1 - k/512)^j)^k.
    private static double BlockedTheory(int bitsPerKey)
    {
        var k = BloomFilter.ProbesFor(bitsPerKey);
        var lambda = 512.0 / bitsPerKey;
        var p = Math.Exp(-lambda);
        var rate = 0.0;
        for (var j = 0; j < 1000; j++)
        {
            if (j > 0)
            {
                p *= lambda / j;
            }

            rate += p * Math.Pow(1 - Math.Pow(1 - (k / 512.0), j), k);
        }

        return rate;
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
    [InlineData(new byte[] { 7, 1, 2, 3, 4, 5, 6, 7, 8 })]
    public void RejectsMalformedFilters(byte[] payload)
    {
        RejectsMalformedFilter(payload);
    }

    [Fact]
    public void RejectsBadProbeCountsAndPartialBlocks()
    {
        RejectsMalformedFilter([0, .. new byte[64]]);
        RejectsMalformedFilter([31, .. new byte[64]]);
        RejectsMalformedFilter([7, .. new byte[65]]);
        Assert.Equal(7, BloomFilter.Decode((byte[])[7, .. new byte[128]], "f.sst").Probes);
    }

    private static void RejectsMalformedFilter(byte[] payload)
    {
        var e = Assert.Throws<CorruptionException>(() => BloomFilter.Decode(payload, "f.sst"));
        Assert.Contains("filter", e.Detail, StringComparison.Ordinal);
    }
}
