using System.Buffers.Binary;
using SlateDb.Format;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

public class BlockTests
{
    private static DataBlock Encode(IReadOnlyList<Row> rows)
    {
        var builder = new BlockBuilder(4096);
        foreach (var row in rows)
        {
            Assert.True(builder.TryAdd(row, int.MaxValue));
        }

        var expectedSize = builder.EncodedSize;
        var bytes = builder.Finish().ToArray();
        Assert.Equal(expectedSize, bytes.Length);
        return new DataBlock(bytes, "test.sst", 3);
    }

    private static List<Row> SampleRows(int count)
        => [.. Enumerable.Range(0, count).Select(i => Put(Key($"user:{i:D5}"), (ulong)(1000 - i), $"value-{i}", createTs: i, expireTs: i % 3 == 0 ? 5000 + i : Row.NoExpiry))];

    private static Row Put(byte[] key, ulong seq, string value, long createTs, long expireTs)
        => new(key, seq, RowKind.Put, System.Text.Encoding.UTF8.GetBytes(value), createTs, expireTs);

    [Fact]
    public async Task RoundTripsRowsAcrossRestartPoints()
    {
        var rows = SampleRows(50);
        rows.Add(Delete(Key("user:99999"), 7));
        rows.Add(Merge(Key("user:99999x"), 6, "+1"));
        var block = Encode(rows);
        Assert.Equal((rows.Count + SstFormat.RestartInterval - 1) / SstFormat.RestartInterval, block.RestartCount);
        AssertRowsEqual(rows, await ReadAllAsync(new BlockIterator(block)));
    }

    [Fact]
    public async Task SharedPrefixesAreCompressed()
    {
        var prefix = new string('p', 1000);
        var rows = Enumerable.Range(0, 32).Select(i => SstTestKit.Put(Key(prefix + i.ToString("D3")), 1, "v")).ToList();
        var block = Encode(rows);
        Assert.True(block.Length < 2 * 1100 + (32 * 40), $"block of {block.Length} bytes should store the long prefix about once per restart");
        AssertRowsEqual(rows, await ReadAllAsync(new BlockIterator(block)));
    }

    [Theory]
    [InlineData("user:", "user:00000")]         // before the first key
    [InlineData("user:00017", "user:00017")]    // exact, not a restart point
    [InlineData("user:00032", "user:00032")]    // exact restart point
    [InlineData("user:00020a", "user:00021")]   // between two keys
    [InlineData("user:00049", "user:00049")]    // the last key
    public async Task SeekFindsTheFirstKeyAtOrAfterTheTarget(string target, string expected)
    {
        var iterator = new BlockIterator(Encode(SampleRows(50)));
        await iterator.SeekAsync(Key(target));
        Assert.True(await iterator.MoveNextAsync());
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(iterator.Current.Key.Span));
    }

    [Fact]
    public async Task SeekPastTheLastKeyExhausts()
    {
        var iterator = new BlockIterator(Encode(SampleRows(50)));
        await iterator.SeekAsync(Key("user:00049\0"));
        Assert.False(await iterator.MoveNextAsync());
        await iterator.SeekAsync(Key("user:00003"));
        Assert.True(await iterator.MoveNextAsync());
        Assert.Equal("user:00003", System.Text.Encoding.UTF8.GetString(iterator.Current.Key.Span));
    }

    [Fact]
    public async Task SeekLandsOnTheFirstOfManyVersions()
    {
        var key = Key("k");
        var rows = new List<Row> { SstTestKit.Put(Key("a"), 1, "a") };
        rows.AddRange(Enumerable.Range(0, 40).Select(i => SstTestKit.Put(key, (ulong)(100 - i), $"v{i}")));
        var iterator = new BlockIterator(Encode(rows));
        await iterator.SeekAsync(key);
        Assert.True(await iterator.MoveNextAsync());
        Assert.Equal(100UL, iterator.Current.Seq);
    }

    [Theory]
    [InlineData(0u)]          // no restart points
    [InlineData(1_000_000u)]  // more restart points than fit
    public void RejectsABadRestartCount(uint count)
    {
        var bytes = Encode(SampleRows(3)).Span.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), count);
        var e = Assert.Throws<CorruptionException>(() => new DataBlock(bytes, "x.sst", 4));
        Assert.Contains("block 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsARestartPointOutsideTheEntries()
    {
        var bytes = Encode(SampleRows(20)).Span.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 8), 60_000);
        Assert.Throws<CorruptionException>(() => new DataBlock(bytes, "x.sst", 0));
    }

    [Fact]
    public async Task RejectsEntriesThatOverrunTheBlockWithoutTrustingLengths()
    {
        var good = Encode(SampleRows(20)).Span.ToArray();
        // Every single-byte change of the entry area either decodes (to something) or raises CorruptionException.
        var entriesLength = good.Length - (4 * 3);
        for (var i = 0; i < entriesLength; i++)
        {
            foreach (var pattern in new byte[] { 0xFF, 0x80, 0x01 })
            {
                var bytes = (byte[])good.Clone();
                bytes[i] ^= pattern;
                try
                {
                    var iterator = new BlockIterator(new DataBlock(bytes, "x.sst", 0));
                    await ReadAllAsync(iterator);
                    await iterator.SeekAsync(Key("user:00010"));
                    await ReadAllAsync(iterator);
                }
                catch (CorruptionException)
                {
                }
            }
        }
    }
}
