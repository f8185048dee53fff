using SlateDb.Format;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

/// <summary>
/// The scan cursor (<see cref="BlockCursor"/>) and the point-lookup search (<see cref="BlockSearch"/>) decode the same
/// block bytes separately; fed the same random blocks they must agree on every lookup, so the two cannot drift apart.
/// </summary>
public class BlockDecoderDifferentialTests
{
    private static readonly string[] Prefixes = ["", "t/", "tenant-0001/", "tenant-0001/orders/", "tenant-0002/orders/2026-"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void The_cursor_and_the_search_agree_on_random_blocks(int seed)
    {
        var random = new Random(seed);
        var rows = RandomRows(random, random.Next(1, 200));
        var block = EncodeBlock(rows, maximal: random.Next(2) == 0, random, "differential.sst");
        var decoded = Walk(block);

        // The cursor gives back exactly the rows written, through every restart point.
        Assert.Equal(rows.Count, decoded.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.True(RowEquals(rows[i], decoded[i]) && rows[i].CreateTs == decoded[i].CreateTs && rows[i].ExpireTs == decoded[i].ExpireTs, $"seed {seed}: row {i}");
        }

        var cursor = new BlockCursor();
        for (var q = 0; q < 400; q++)
        {
            var key = q % 2 == 0 ? decoded[random.Next(decoded.Count)].Key.ToArray() : RandomKey(random);
            var maxSeq = q % 5 == 0 ? ulong.MaxValue : (ulong)random.Next(0, 60);
            var what = $"seed {seed}: {Convert.ToHexString(key)} at seq <= {maxSeq}";

            var result = BlockSearch.Find(block, key, maxSeq, key, out var found);
            var (expected, expectedRow) = LookUpWithCursor(cursor, block, key, maxSeq);

            Assert.True(expected == result, $"{what}: the search says {result}, the cursor {expected}");
            if (expected == BlockSearchResult.Found)
            {
                Assert.True(
                    RowEquals(expectedRow, found) && expectedRow.CreateTs == found.CreateTs && expectedRow.ExpireTs == found.ExpireTs,
                    $"{what}: the search found {found}, the cursor {expectedRow}");
            }
        }
    }

    // The lookup as a scan does it: seek the cursor to the key, then skip its versions newer than the bound.
    private static (BlockSearchResult Result, Row Row) LookUpWithCursor(BlockCursor cursor, DataBlock block, byte[] key, ulong maxSeq)
    {
        cursor.Reset(block);
        if (!cursor.Seek(key))
        {
            return (BlockSearchResult.Absent, default);
        }

        var onKey = false;
        do
        {
            if (!cursor.CurrentKey.SequenceEqual(key))
            {
                return (BlockSearchResult.Absent, default);
            }

            onKey = true;
            if (cursor.Current.Seq <= maxSeq)
            {
                return (BlockSearchResult.Found, cursor.Current.Detach());
            }
        }
        while (cursor.MoveNext());

        return (onKey ? BlockSearchResult.MayContinue : BlockSearchResult.Absent, default);
    }

    private static List<Row> Walk(DataBlock block)
    {
        var cursor = new BlockCursor();
        cursor.Reset(block);
        var rows = new List<Row>();
        while (cursor.MoveNext())
        {
            rows.Add(cursor.Current.Detach());
        }

        return rows;
    }

    // Keys share long prefixes (tenant paths, then a short random tail), each with 1 to 3 versions; values, kinds and
    // expiry times vary.
    private static List<Row> RandomRows(Random random, int keys)
    {
        var rows = new List<Row>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (seen.Count < keys)
        {
            var key = RandomKey(random);
            if (!seen.Add(Convert.ToHexString(key)))
            {
                continue;
            }

            var seqs = Enumerable.Range(0, random.Next(1, 4)).Select(_ => (ulong)random.Next(1, 60)).Distinct();
            foreach (var seq in seqs)
            {
                var value = new byte[random.Next(0, 3) == 0 ? 0 : random.Next(1, 300)];
                random.NextBytes(value);
                rows.Add(random.Next(8) == 0
                    ? Delete(key, seq, createTs: random.Next())
                    : Put(key, seq, value, createTs: random.Next(), expireTs: random.Next(4) == 0 ? random.Next() : Row.NoExpiry));
            }
        }

        return Sorted(rows);
    }

    private static byte[] RandomKey(Random random)
    {
        var prefix = System.Text.Encoding.ASCII.GetBytes(Prefixes[random.Next(Prefixes.Length)]);
        var tail = new byte[random.Next(prefix.Length == 0 ? 1 : 0, 6)];
        for (var i = 0; i < tail.Length; i++)
        {
            tail[i] = "ab\u00ff"u8[random.Next(3)];
        }

        return [.. prefix, .. tail];
    }
}
