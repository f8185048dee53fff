using SlateDb.Format;
using SlateDb.Memtable;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;
using Table = SlateDb.Memtable.Memtable;

namespace SlateDb.Core.Tests.Memtable;

public class SkipListKeyOrderTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public async Task Keys_with_and_without_the_sampled_common_prefix_sort_and_are_found(int seed)
    {
        // The first rows share a long prefix, which becomes the hint; later keys sit inside it, before it, after it,
        // are prefixes of it or of each other, and differ within and beyond the first 16 bytes.
        var random = new Random(seed);
        var common = "0000000000"u8.ToArray();
        var table = new Table(chunkSizeBytes: 4096);
        var model = new List<Row>();
        ulong seq = 0;

        void Add(byte[] key)
        {
            if (key.Length == 0)
            {
                return; // keys must not be empty
            }

            var row = Put(key, ++seq, BitConverter.GetBytes(seq));
            model.Add(row);
            table.Add(row);
        }

        for (var i = 0; i < SkipList.HintSampleSize; i++)
        {
            Add([.. common, .. RandomBytes(random, 6)]);
        }

        for (var i = 0; i < 3000; i++)
        {
            byte[] key = random.Next(6) switch
            {
                0 => [.. common, .. RandomBytes(random, random.Next(0, 12))],
                1 => common[..random.Next(0, common.Length)],
                2 => [.. common[..random.Next(0, common.Length)], .. RandomBytes(random, random.Next(0, 20))],
                3 => RandomBytes(random, random.Next(0, 24)),
                4 => model[random.Next(model.Count)].Key.ToArray(), // the same key again, a newer seq
                _ => [.. common, (byte)'0', (byte)random.Next(0, 3), .. RandomBytes(random, random.Next(0, 3))],
            };
            Add(key);
        }

        model.Sort((a, b) => RowOrder.Compare(a, b));
        var actual = await DrainAsync(table.CreateIterator(KeyRange.All));
        Assert.True(model.Count == actual.Count, $"seed {seed}: {actual.Count} rows, expected {model.Count}");
        AssertSame(model, actual);
        foreach (var row in model)
        {
            Assert.True(table.TryGet(row.Key.Span, row.Seq, out var found), $"seed {seed}: a row is missing");
            Assert.Equal(row.Seq, found.Seq);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            // Mostly digits and zero bytes, so keys often tie on their first bytes.
            bytes[i] = (byte)(random.Next(4) == 0 ? 0 : '0' + random.Next(10));
        }

        return bytes;
    }
}
