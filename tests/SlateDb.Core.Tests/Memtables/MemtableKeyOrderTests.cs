using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;
using Table = SlateDb.Memtables.Memtable;

namespace SlateDb.Core.Tests.Memtables;

public class MemtableKeyOrderTests
{
    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    public async Task Keys_with_and_without_the_sampled_common_prefix_sort_and_are_found(int seed)
    {
        // Keys share a long prefix, sit inside it, before it, after it, are prefixes of it or of each other, and
        // differ within and beyond the first 16 bytes (which runs compare without reading the key bytes). Rows are
        // committed one at a time and in batches of up to 50, so runs of many sizes are merged.
        var random = new Random(seed);
        var common = "0000000000"u8.ToArray();
        var table = new Table(chunkSizeBytes: 4096);
        var model = new List<Row>();
        ulong seq = 0;

        var batchLeft = 0;
        var batchKeys = new HashSet<string>();
        void Add(byte[] key)
        {
            if (key.Length == 0 || !batchKeys.Add(Convert.ToHexString(key)))
            {
                return; // keys must not be empty, and a key appears once per batch
            }

            var row = Put(key, seq, BitConverter.GetBytes(seq));
            model.Add(row);
            table.Stage(row);
            if (--batchLeft <= 0)
            {
                table.Commit();
                batchKeys.Clear();
                seq++;
                batchLeft = random.Next(3) == 0 ? 1 : random.Next(1, 50);
            }
        }

        seq = 1;
        for (var i = 0; i < 64; i++)
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

        table.Commit();
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
