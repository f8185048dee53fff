using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.Read;

/// <summary>The merge iterator against a SortedDictionary model over seeded random sources, under every option mix.</summary>
public class MergeIteratorModelTests
{
    public static TheoryData<bool, bool, bool, bool> OptionMixes()
    {
        var data = new TheoryData<bool, bool, bool, bool>();
        foreach (var newestOnly in new[] { true, false })
        {
            foreach (var hide in new[] { true, false })
            {
                foreach (var useNow in new[] { true, false })
                {
                    foreach (var boundSeq in new[] { true, false })
                    {
                        data.Add(newestOnly, hide, useNow, boundSeq);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OptionMixes))]
    public async Task Merge_matches_the_model(bool newestOnly, bool hideTombstones, bool useNow, bool boundSeq)
    {
        for (var seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            var sources = RandomSources(random);
            var options = new MergeOptions
            {
                NewestOnly = newestOnly,
                HideTombstones = hideTombstones,
                NowMs = useNow ? random.Next(0, 100) : null,
                MaxSeq = boundSeq ? (ulong)random.Next(0, 150) : ulong.MaxValue,
            };
            var context = $"seed {seed}, {options}";

            var expected = Model(sources, options, from: null);

            // Every other seed uses sources that scribble over their rows on each move and complete asynchronously.
            await using var merge = new MergeIterator(Iterators(sources, hostile: seed % 2 == 0, seed), options);
            var actual = await DrainAsync(merge);
            AssertRows(expected, actual, context);

            // Seek to a random key (forwards or backwards) and compare the rest.
            var target = Bytes($"k{random.Next(0, 45):D2}");
            await merge.SeekAsync(target);
            AssertRows(Model(sources, options, target), await DrainAsync(merge), $"{context}, after seeking to {Show(Put(target, 0, []))}");
        }
    }

    // 1-6 sources; keys from a small space so versions collide; seqs mostly distinct, sometimes shared across sources
    // (the same row held by two sources, as when a memtable and the L0 SST it became are both read).
    private static List<Row[]> RandomSources(Random random)
    {
        var sourceCount = random.Next(1, 7);
        var sources = new List<Row[]>();
        for (var s = 0; s < sourceCount; s++)
        {
            var rows = new Dictionary<(string, ulong), Row>();
            var n = random.Next(0, 60);
            for (var i = 0; i < n; i++)
            {
                var key = $"k{random.Next(0, 40):D2}" + (random.Next(10) == 0 ? new string('x', 100) : string.Empty);
                var seq = (ulong)random.Next(1, 200);
                var kind = random.Next(4) switch { 0 => RowKind.Delete, 1 => RowKind.Merge, _ => RowKind.Put };
                long expire = random.Next(3) == 0 ? random.Next(0, 100) : Row.NoExpiry;
                var value = kind == RowKind.Delete ? string.Empty : $"s{s}v{i}";
                rows[(key, seq)] = new Row(Bytes(key), seq, kind, Bytes(value), (long)seq * 10, expire);
            }

            var array = rows.Values.ToArray();
            Array.Sort(array, (a, b) => RowOrder.Compare(a, b));
            sources.Add(array);
        }

        return sources;
    }

    private static List<IRowIterator> Iterators(List<Row[]> sources, bool hostile, int seed)
        => sources.Select((rows, i) => hostile
            ? (IRowIterator)new HostileRowIterator(new ArrayRowIterator(rows), seed * 31 + i)
            : new ArrayRowIterator(rows)).ToList();

    // What the merge should yield: the earliest source's row for each (key, seq) with seq <= MaxSeq; expired rows as
    // tombstones; newest per key or all versions; tombstones dropped when hidden.
    private static List<Row> Model(List<Row[]> sources, MergeOptions options, byte[]? from)
    {
        var byKey = new SortedDictionary<string, SortedDictionary<ulong, Row>>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var row in source)
            {
                var key = System.Text.Encoding.UTF8.GetString(row.Key.Span);
                if (row.Seq > options.MaxSeq || (from is not null && row.Key.Span.SequenceCompareTo(from) < 0))
                {
                    continue;
                }

                var versions = byKey.TryGetValue(key, out var v) ? v : byKey[key] = new SortedDictionary<ulong, Row>();
                versions.TryAdd(row.Seq, row); // sources come newest first: the first one seen wins
            }
        }

        var result = new List<Row>();
        foreach (var versions in byKey.Values)
        {
            foreach (var row in versions.Values.Reverse())
            {
                var visible = options.NowMs is { } now && row.ExpireTs <= now
                    ? new Row(row.Key, row.Seq, RowKind.Delete, ReadOnlyMemory<byte>.Empty, row.CreateTs)
                    : row;
                if (!(options.HideTombstones && visible.IsDelete))
                {
                    result.Add(visible);
                }

                if (options.NewestOnly)
                {
                    break;
                }
            }
        }

        return result;
    }

    private static void AssertRows(List<Row> expected, List<Row> actual, string context)
    {
        var e = Show(expected);
        var a = Show(actual);
        Assert.True(e == a, $"{context}\nexpected: {e}\nactual:   {a}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].CreateTs == actual[i].CreateTs && expected[i].ExpireTs == actual[i].ExpireTs, $"{context}: timestamps of row {i}");
        }
    }
}
