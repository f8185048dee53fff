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

            // Every other seed uses sources that scribble over their rows on each move and complete asynchronously; two
            // seeds in three give the sources lower bounds, so they wait in the merge until it reaches them.
            var bounds = seed % 3 == 0 ? null : LowerBounds(sources, random);
            context += bounds is null ? string.Empty : $", lower bounds {string.Join(" ", bounds.Select(b => Show(Put(b.ToArray(), 0, []))))}";
            await using var merge = new MergeIterator(Iterators(sources, hostile: seed % 2 == 0, seed), options, bounds);
            var (actual, starts) = await DrainWithStartsAsync(merge);
            AssertRows(expected, actual, context);
            AssertStarts(actual, starts, context);

            // Seek to a random key (forwards or backwards) and compare the rest.
            var target = Bytes($"k{random.Next(0, 45):D2}");
            await merge.SeekAsync(target);
            (actual, starts) = await DrainWithStartsAsync(merge);
            AssertRows(Model(sources, options, target), actual, $"{context}, after seeking to {Show(Put(target, 0, []))}");
            AssertStarts(actual, starts, context);
        }
    }

    [Fact]
    public async Task A_seek_before_the_first_move_leaves_a_source_bounded_at_or_after_the_key_alone()
    {
        Row[] first = [Put("a", 1, "a1"), Put("m", 2, "m2")];
        Row[] later = [Put("p", 3, "p3"), Put("q", 4, "q4")];
        var laterRows = new CountingRowIterator(new ArrayRowIterator(later));
        await using var merge = new MergeIterator([new ArrayRowIterator(first), laterRows], MergeOptions.Default, [default, Bytes("p")]);

        await merge.SeekAsync(Bytes("b"));

        Assert.Equal(0, laterRows.Seeks);
        Assert.Equal("m@2:Put=m2", Show(await DrainAsync(merge, limit: 1)));
        Assert.Equal(0, laterRows.Moves);
        Assert.Equal("p@3:Put=p3, q@4:Put=q4", Show(await DrainAsync(merge)));

        // Once moved, a source seeks like any other.
        await merge.SeekAsync(Bytes("q"));
        Assert.Equal(1, laterRows.Seeks);
        Assert.Equal("q@4:Put=q4", Show(await DrainAsync(merge)));
    }

    [Fact]
    public async Task A_source_waiting_at_a_key_comes_before_the_other_sources_versions_of_it()
    {
        // The waiting source holds the newest version of "k", its lower bound; the other source reaches "k" first.
        Row[] newer = [Put("k", 9, "k9"), Put("z", 1, "z1")];
        var waiting = new CountingRowIterator(new ArrayRowIterator(newer));
        Row[] older = [Put("a", 1, "a1"), Put("k", 5, "k5")];
        await using var merge = new MergeIterator([new ArrayRowIterator(older), waiting], new MergeOptions { NewestOnly = false }, [default, Bytes("k")]);

        Assert.Equal("a@1:Put=a1", Show(await DrainAsync(merge, limit: 1)));
        Assert.Equal(0, waiting.Moves);
        Assert.Equal("k@9:Put=k9, k@5:Put=k5, z@1:Put=z1", Show(await DrainAsync(merge)));
    }

    // Per source: no bound, its first key, a smaller key, or (for an empty source) any key.
    private static ReadOnlyMemory<byte>[] LowerBounds(List<Row[]> sources, Random random)
        => sources.Select(rows => random.Next(4) switch
        {
            0 => default,
            _ when rows.Length == 0 => Bytes($"k{random.Next(0, 45):D2}"),
            1 => rows[0].Key.ToArray(),
            _ => rows[0].Key[..random.Next(0, rows[0].Key.Length + 1)].ToArray(),
        }).Select(b => (ReadOnlyMemory<byte>)b).ToArray();

    private static async Task<(List<Row> Rows, List<bool> Starts)> DrainWithStartsAsync(MergeIterator merge)
    {
        var rows = new List<Row>();
        var starts = new List<bool>();
        while (await merge.MoveNextAsync())
        {
            rows.Add(merge.Current.Detach());
            starts.Add(merge.CurrentStartsKey);
        }

        return (rows, starts);
    }

    // CurrentStartsKey is true exactly for the first row of each key.
    private static void AssertStarts(List<Row> rows, List<bool> starts, string context)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            var expected = i == 0 || !rows[i].Key.Span.SequenceEqual(rows[i - 1].Key.Span);
            Assert.True(expected == starts[i], $"{context}: CurrentStartsKey of row {i} ({Show(rows[i])}) is {starts[i]}");
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
