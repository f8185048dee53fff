using System.Text;
using SlateDb.Read;
using Xunit;

namespace SlateDb.Core.Tests.RangeDeletes;

/// <summary>Fragmenting, looking up, retaining and cutting range tombstones, against a brute-force model.</summary>
public sealed class RangeTombstoneListTests
{
    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static RangeTombstone T(string start, string? end, ulong seq) => new(K(start), end is null ? RangeTombstone.NoEnd : K(end), seq);

    [Fact]
    public void Overlapping_tombstones_fragment_and_a_lookup_returns_the_newest_visible_covering_seq()
    {
        var list = RangeTombstoneList.Build([T("b", "f", 5), T("d", "h", 9), T("x", null, 3), T("a", "c", 5)]);

        Assert.Equal(0UL, list.CoveringSeq(K("0"), 99));
        Assert.Equal(5UL, list.CoveringSeq(K("a"), 99));
        Assert.Equal(5UL, list.CoveringSeq(K("c"), 99));
        Assert.Equal(9UL, list.CoveringSeq(K("e"), 99));
        Assert.Equal(5UL, list.CoveringSeq(K("e"), 8));
        Assert.Equal(0UL, list.CoveringSeq(K("e"), 4));
        Assert.Equal(9UL, list.CoveringSeq(K("g"), 99));
        Assert.Equal(0UL, list.CoveringSeq(K("h"), 99));
        Assert.Equal(3UL, list.CoveringSeq(K("zzzz"), 99));
        Assert.True(list.Deletes(K("e"), 8, 99));
        Assert.False(list.Deletes(K("e"), 9, 99));
        Assert.Equal(3UL, list.MinSeq);
        Assert.Equal(9UL, list.MaxSeq);
        Assert.Equal(K("a"), list.FirstStart.ToArray());
        Assert.Null(list.LastEnd);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_tombstones_agree_with_brute_force_after_build_retain_and_clip(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            var raw = new List<RangeTombstone>();
            for (var i = random.Next(1, 12); i > 0; i--)
            {
                var a = random.Next(30);
                var end = random.Next(6) == 0 ? null : $"k{a + 1 + random.Next(10):D2}";
                raw.Add(T($"k{a:D2}", end, (ulong)random.Next(1, 40)));
            }

            var list = RangeTombstoneList.Build(raw);
            var minSeq = (ulong)random.Next(0, 40);
            var bottom = random.Next(2) == 0;
            var retained = list.Retain(minSeq, bottom);
            var from = random.Next(3) == 0 ? null : $"k{random.Next(40):D2}";
            var to = random.Next(3) == 0 ? null : $"k{random.Next(40):D2}";
            var clipped = list.Clip(from is null ? RangeTombstone.NoEnd : K(from), to is null ? RangeTombstone.NoEnd : K(to));
            var roundTrip = RangeTombstoneList.Build(list.Tombstones().ToList());
            for (var k = 0; k < 45; k++)
            {
                var key = K($"k{k:D2}");
                var bound = (ulong)random.Next(0, 45);
                var expected = raw.Where(t => t.Covers(key) && t.Seq <= bound).Select(t => t.Seq).DefaultIfEmpty(0UL).Max();
                Assert.Equal(expected, list.CoveringSeq(key, bound));
                Assert.Equal(expected, roundTrip.CoveringSeq(key, bound));

                // Readers at or above minSeq see the same deletions after retention (bottom: nothing older is left to hide).
                var readerBound = Math.Max(bound, minSeq);
                var full = list.CoveringSeq(key, readerBound);
                var kept = retained.CoveringSeq(key, readerBound);
                if (bottom && full <= minSeq)
                {
                    Assert.True(kept == 0 || kept > minSeq);
                }
                else
                {
                    Assert.Equal(full, kept);
                }

                var inside = (from is null || string.CompareOrdinal($"k{k:D2}", from) >= 0) && (to is null || string.CompareOrdinal($"k{k:D2}", to) < 0);
                Assert.Equal(inside ? expected : 0, clipped.CoveringSeq(key, bound));
            }
        }
    }
}
