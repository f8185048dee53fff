using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

/// <summary>Random SSTs, ranges, seeks and lookups checked against a sorted list of the rows (seeded; the seed is in every message).</summary>
public class SstModelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task ReadsAgreeWithTheModel(int seed)
    {
        var random = new Random(seed);
        var rows = RandomRows(random, random.Next(1, 1500));
        var options = new SstWriterOptions
        {
            BlockSize = random.Next(40, 3000),
            Compression = random.Next(2) == 0 ? CompressionCodec.None : CompressionCodec.Zstd,
            MinFilterKeys = random.Next(0, 200),
        };
        var sst = Build(rows, options);
        var store = new InMemoryObjectStore();
        await store.PutAsync("m.sst", sst.Data, PutMode.Create);
        var readers = new[]
        {
            SstReader.Open(sst.Data, "m.sst"),
            await SstReader.OpenAsync(store, "m.sst"),
            await SstReader.OpenAsync(store, "m.sst", new BlockCache(random.Next(1, 64) * 1024)),
        };
        var context = $"seed {seed}, {rows.Count} rows, {options}";

        foreach (var reader in readers)
        {
            for (var round = 0; round < 30; round++)
            {
                var readOptions = new SstReadOptions { CacheBlocks = random.Next(2) == 0, ReadAheadBlocks = random.Next(1, 6) };
                var range = RandomRange(random);
                var iterator = reader.CreateIterator(range, readOptions);
                var expected = rows.Where(r => range.Contains(r.Key.Span)).ToList();
                var position = 0;
                for (var step = 0; step < 40; step++)
                {
                    if (random.Next(8) == 0)
                    {
                        var target = RandomKey(random);
                        await iterator.SeekAsync(target);
                        position = expected.FindIndex(r => r.Key.Span.SequenceCompareTo(target) >= 0);
                        position = position < 0 ? expected.Count : position;
                        continue;
                    }

                    var moved = await iterator.MoveNextAsync();
                    if (moved != position < expected.Count)
                    {
                        Assert.Fail($"{context}, range {range}, step {step}: moved {moved} at position {position} of {expected.Count}");
                    }

                    if (moved && !RowEquals(expected[position++], iterator.Current))
                    {
                        Assert.Fail($"{context}, range {range}, step {step}: got {iterator.Current}, expected {expected[position - 1]}");
                    }
                }

                await iterator.DisposeAsync();
                var key = RandomKey(random);
                var maxSeq = (ulong)random.Next(0, 3000);
                var want = rows.FirstOrDefault(r => r.Key.Span.SequenceEqual(key) && r.Seq <= maxSeq);
                var got = await reader.GetAsync(key, maxSeq);
                var wantFound = want.Key.Length > 0;
                if (got.HasValue != wantFound || (got is { } g && !RowEquals(g, want)))
                {
                    Assert.Fail($"{context}: Get({Convert.ToHexString(key)}, {maxSeq}) = {got}, expected {(wantFound ? want : "none")}");
                }

                if (wantFound && !reader.MightContain(key))
                {
                    Assert.Fail($"{context}: the filter rejects the present key {Convert.ToHexString(key)}");
                }
            }
        }
    }

    [Fact]
    public async Task ConcurrentReadersShareOneCache()
    {
        var rows = RandomRows(new Random(99), 3000);
        var store = new InMemoryObjectStore();
        await store.PutAsync("c.sst", Build(rows, new SstWriterOptions { BlockSize = 512 }).Data, PutMode.Create);
        var cache = new BlockCache(32 * 1024);
        var reader = await SstReader.OpenAsync(store, "c.sst", cache);
        var tasks = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            for (var i = 0; i < 200; i++)
            {
                var row = rows[random.Next(rows.Count)];
                var got = await reader.GetAsync(row.Key, row.Seq);
                Assert.True(got is { } g && RowEquals(g, row), $"worker {w}, lookup {i}: {got} instead of {row}");
            }

            AssertRowsEqual(rows, await ReadAllAsync(reader, options: new SstReadOptions { ReadAheadBlocks = 1 + w }));
        }));
        await Task.WhenAll(tasks);
        Assert.InRange(cache.SizeBytes, 1, cache.CapacityBytes);
    }

    // Keys over a small alphabet with shared prefixes, several versions each, every kind.
    private static List<Row> RandomRows(Random random, int count)
    {
        var rows = new List<Row>();
        var seen = new HashSet<(string, ulong)>();
        while (rows.Count < count)
        {
            var key = RandomKey(random);
            var seq = (ulong)random.Next(1, 3000);
            if (!seen.Add((Convert.ToHexString(key), seq)))
            {
                continue;
            }

            var kind = (RowKind)random.Next(3);
            var value = kind == RowKind.Delete ? [] : new byte[random.Next(0, random.Next(10) == 0 ? 600 : 40)];
            random.NextBytes(value);
            rows.Add(new Row(key, seq, kind, value, random.NextInt64(-5, 5_000), random.Next(4) == 0 ? random.NextInt64() : Row.NoExpiry));
        }

        return Sorted(rows);
    }

    private static byte[] RandomKey(Random random)
    {
        var key = new byte[random.Next(1, 6)];
        for (var i = 0; i < key.Length; i++)
        {
            key[i] = (byte)"abc\0\xff"[random.Next(5)];
        }

        return key;
    }

    private static KeyRange RandomRange(Random random) => random.Next(5) switch
    {
        0 => KeyRange.All,
        1 => KeyRange.From(RandomKey(random)),
        2 => KeyRange.Prefix(RandomKey(random).AsMemory(0, 1)),
        _ => Between(RandomKey(random), RandomKey(random)),
    };

    private static KeyRange Between(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b) <= 0 ? KeyRange.Between(a, b) : KeyRange.Between(b, a);
}
