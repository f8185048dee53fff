using SlateDb.Format;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

public class SstSeekTests
{
    // Keys 10, 20, ..., 1000 (two versions each), in small blocks so seeks cross block boundaries.
    private static readonly List<Row> Rows = [.. Enumerable.Range(1, 100).SelectMany(i => new[]
    {
        Put(NumberKey(i * 10), 2, $"new-{i * 10}"),
        Put(NumberKey(i * 10), 1, $"old-{i * 10}"),
    })];

    private static SstReader Open(CompressionCodec codec = CompressionCodec.None)
        => SstReader.Open(Build(Rows, new SstWriterOptions { BlockSize = 200, Compression = codec }).Data, "seek.sst");

    public static TheoryData<long, long?> SeekCases => new()
    {
        { 0, 10 },      // before the first key
        { 10, 10 },     // exact first key
        { 500, 500 },   // exact, middle
        { 505, 510 },   // between two keys
        { 1000, 1000 }, // exact last key
        { 1001, null }, // past the last key
    };

    [Theory]
    [MemberData(nameof(SeekCases))]
    public async Task SeekPositionsAtTheFirstKeyAtOrAfterTheTarget(long target, long? expected)
    {
        var reader = Open();
        Assert.True(reader.BlockCount > 10);
        foreach (var cacheBlocks in new[] { true, false })
        {
            var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = cacheBlocks });
            await iterator.SeekAsync(NumberKey(target));
            var rest = await ReadAllAsync(iterator);
            AssertRowsEqual([.. Rows.Where(r => r.Key.Span.SequenceCompareTo(NumberKey(target)) >= 0)], rest);
            if (expected is { } e)
            {
                Assert.True(rest[0].Key.Span.SequenceEqual(NumberKey(e)));
                Assert.Equal(2UL, rest[0].Seq);
            }
        }
    }

    [Fact]
    public async Task SeekCanMoveBackwardsAndForwards()
    {
        var iterator = Open().CreateIterator(KeyRange.All);
        await iterator.SeekAsync(NumberKey(900));
        Assert.True(await iterator.MoveNextAsync());
        Assert.True(iterator.Current.Key.Span.SequenceEqual(NumberKey(900)));
        await iterator.SeekAsync(NumberKey(15));
        Assert.True(await iterator.MoveNextAsync());
        Assert.True(iterator.Current.Key.Span.SequenceEqual(NumberKey(20)));
        await iterator.SeekAsync(NumberKey(2000));
        Assert.False(await iterator.MoveNextAsync());
        await iterator.SeekAsync(NumberKey(990));
        Assert.Equal(4, (await ReadAllAsync(iterator)).Count);
    }

    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Zstd)]
    public async Task RangesSelectExactlyTheirKeys(CompressionCodec codec)
    {
        var reader = Open(codec);
        var ranges = new[]
        {
            KeyRange.Between(NumberKey(100), NumberKey(200)),
            KeyRange.Between(NumberKey(101), NumberKey(199)),
            KeyRange.Between(NumberKey(0), NumberKey(11)),
            KeyRange.Between(NumberKey(1000), NumberKey(5000)),
            KeyRange.Between(NumberKey(300), NumberKey(300)),
            KeyRange.Between(NumberKey(2000), NumberKey(3000)),
            KeyRange.From(NumberKey(995)),
            KeyRange.Prefix(NumberKey(0).AsMemory(0, 11)),
            KeyRange.Prefix(Key("other")),
            KeyRange.All,
        };
        foreach (var range in ranges)
        {
            var expected = Rows.Where(r => range.Contains(r.Key.Span)).ToList();
            AssertRowsEqual(expected, await ReadAllAsync(reader, range));
        }
    }

    [Fact]
    public async Task SeekStaysWithinTheRange()
    {
        var range = KeyRange.Between(NumberKey(300), NumberKey(400));
        var iterator = Open().CreateIterator(range);
        await iterator.SeekAsync(NumberKey(5));
        var rows = await ReadAllAsync(iterator);
        Assert.Equal(20, rows.Count);
        Assert.True(rows[0].Key.Span.SequenceEqual(NumberKey(300)));
        await iterator.SeekAsync(NumberKey(400));
        Assert.False(await iterator.MoveNextAsync());
    }

    [Fact]
    public async Task GetFindsEveryKeyAndNoGaps()
    {
        var reader = Open();
        for (var k = 0; k <= 1010; k++)
        {
            var row = await reader.GetAsync(NumberKey(k), ulong.MaxValue);
            if (k % 10 == 0 && k > 0 && k <= 1000)
            {
                Assert.Equal($"new-{k}", System.Text.Encoding.UTF8.GetString(row!.Value.Value.Span));
                Assert.Equal($"old-{k}", System.Text.Encoding.UTF8.GetString((await reader.GetAsync(NumberKey(k), 1))!.Value.Value.Span));
                Assert.Null(await reader.GetAsync(NumberKey(k), 0));
            }
            else
            {
                Assert.Null(row);
            }
        }
    }

    [Fact]
    public void SeparatorsAreShortAndBetweenTheKeys()
    {
        Assert.Equal("abd", Sep("abcdef", "abzzz"));
        Assert.Equal("abc", Sep("abc", "abcd"));      // last is a prefix of next
        Assert.Equal("abc", Sep("abc", "abc"));       // equal keys (versions continue)
        Assert.Equal("ab\u0003", Sep("ab\u0002xyz", "ab\u0003x"));
        Assert.Equal("ab\u0002xyz", Sep("ab\u0002xyz", "ab\u0003"));  // bumping would equal next

        static string Sep(string last, string next)
        {
            var buffer = new byte[64];
            var length = IndexBlock.Separator(Key(last), Key(next), buffer);
            var separator = buffer.AsSpan(0, length);
            Assert.True(separator.SequenceCompareTo(Key(last)) >= 0);
            Assert.True(last == next ? separator.SequenceEqual(Key(next)) : separator.SequenceCompareTo(Key(next)) < 0);
            return System.Text.Encoding.Latin1.GetString(separator);
        }
    }
}
