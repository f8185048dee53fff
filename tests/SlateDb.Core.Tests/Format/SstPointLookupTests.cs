using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

/// <summary>
/// Point lookups: the synchronous path (blocks in memory or cached) must answer exactly as the path that fetches blocks
/// from the store, and <see cref="BlockSearch"/> must agree with a scan of the rows however the writer chose shared
/// prefixes (seeded; the seed is in every message).
/// </summary>
public class SstPointLookupTests
{
    // Keys with long shared prefixes, a hot key whose versions span several blocks, tombstones, merges and expiring rows.
    private static List<Row> SampleRows()
    {
        var rows = new List<Row>();
        for (var i = 0; i < 300; i++)
        {
            var key = NumberKey(i * 2, "user:0000:");
            var seq = (ulong)(1000 + i);
            rows.Add((i % 5) switch
            {
                0 => Delete(key, seq),
                1 => Put(key, seq, new byte[10 + (i % 40)], createTs: i, expireTs: 5_000 + i),
                2 => Merge(key, seq, "+1"),
                _ => Put(key, seq, $"v{i}"),
            });
            if (i % 7 == 0)
            {
                rows.Add(Put(key, seq - 500, $"old{i}"));
            }
        }

        for (var v = 0; v < 120; v++)
        {
            rows.Add(Put(NumberKey(301, "user:0000:"), (ulong)(3000 - v), $"hot{v}"));
        }

        return Sorted(rows);
    }

    // Every present key at several bounds (above, at and below each version), absent keys between, before and after.
    private static List<(byte[] Key, ulong MaxSeq)> Queries(List<Row> rows)
    {
        var queries = new List<(byte[], ulong)>
        {
            (Key("a"), ulong.MaxValue), (Key("user:"), ulong.MaxValue), (Key("zzz"), ulong.MaxValue),
            (NumberKey(-1, "user:0000:"), ulong.MaxValue), (NumberKey(10_000, "user:0000:"), ulong.MaxValue),
        };
        foreach (var row in rows)
        {
            var key = row.Key.ToArray();
            queries.Add((key, row.Seq));
            queries.Add((key, row.Seq - 1));
            queries.Add((key, ulong.MaxValue));
            queries.Add((key, 0));
            var next = (byte[])key.Clone();
            next[^1]++;
            queries.Add((next, ulong.MaxValue));
            queries.Add((key[..^1], ulong.MaxValue));
        }

        return queries;
    }

    private static Row? Model(List<Row> rows, byte[] key, ulong maxSeq)
    {
        foreach (var row in rows)
        {
            if (row.Key.Span.SequenceEqual(key) && row.Seq <= maxSeq)
            {
                return row;
            }
        }

        return null;
    }

    private static void AssertSame(Row? want, Row? got, string what)
    {
        if (want.HasValue != got.HasValue || (got is { } g && !RowEquals(want!.Value, g)))
        {
            Assert.Fail($"{what}: got {got?.ToString() ?? "none"}, expected {want?.ToString() ?? "none"}");
        }
    }

    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Zstd)]
    public async Task CachedLookupsCompleteSynchronouslyAndAgreeWithFetchedOnes(CompressionCodec codec)
    {
        var rows = SampleRows();
        var sst = Build(rows, new SstWriterOptions { BlockSize = 512, Compression = codec });
        var store = new InMemoryObjectStore();
        await store.PutAsync("p.sst", sst.Data, PutMode.Create);
        var fetching = await SstReader.OpenAsync(store, "p.sst");
        var cache = new BlockCache(1 << 24);
        var cached = await SstReader.OpenAsync(store, "p.sst", cache);
        var inMemory = SstReader.Open(sst.Data, "p.sst");
        Assert.True(cached.BlockCount >= 8, $"{cached.BlockCount} blocks");
        for (var i = 0; i < cached.BlockCount; i++)
        {
            await cached.ReadBlockAsync(i, cache: true, CancellationToken.None);
        }

        foreach (var (key, maxSeq) in Queries(rows))
        {
            var what = $"{codec}: Get({Convert.ToHexString(key)}, {maxSeq})";
            var want = Model(rows, key, maxSeq);
            AssertSame(want, await fetching.GetAsync(key, maxSeq), $"{what} fetching");
            foreach (var reader in new[] { cached, inMemory })
            {
                var get = reader.GetAsync(key, maxSeq);
                Assert.True(get.IsCompletedSuccessfully, $"{what} did not complete synchronously");
                var got = await get;
                AssertSame(want, got, $"{what} {(reader == cached ? "cached" : "in memory")}");
                if (got is { } row)
                {
                    Assert.NotSame(key, GetArray(row.Key));
                }

                var find = reader.FindAsync(key, maxSeq);
                Assert.True(find.IsCompletedSuccessfully, $"{what} (find) did not complete synchronously");
                var found = await find;
                AssertSame(want, found, $"{what} find");
                if (found is { } f)
                {
                    Assert.Same(key, GetArray(f.Key));
                }
            }
        }
    }

    [Fact]
    public async Task ALookupFetchesTheBlocksThatAreNotCachedAndCachesThem()
    {
        var rows = SampleRows();
        var sst = Build(rows, new SstWriterOptions { BlockSize = 512 });
        var store = new CountingObjectStore(new InMemoryObjectStore());
        await store.PutAsync("p.sst", sst.Data, PutMode.Create);
        var cache = new BlockCache(1 << 24);
        var reader = await SstReader.OpenAsync(store, "p.sst", cache);
        var hot = NumberKey(301, "user:0000:");
        store.Reset();

        // The oldest version of the hot key lies blocks after its first: the lookup caches every block it walks.
        var first = await reader.GetAsync(hot, 2881);
        AssertSame(Model(rows, hot, 2881), first, "hot key, oldest version");
        Assert.True(store.Gets >= 2, $"{store.Gets} GETs");
        var gets = store.Gets;
        var again = reader.GetAsync(hot, 2881);
        Assert.True(again.IsCompletedSuccessfully);
        AssertSame(first, await again, "hot key again");
        Assert.Equal(gets, store.Gets);

        // A lookup that starts cached and then needs an uncached block continues asynchronously at that block.
        cache.Remove(SstReader.CacheIdOf(store, "p.sst"));
        await reader.GetAsync(hot, ulong.MaxValue);
        AssertSame(Model(rows, hot, 2881), await reader.GetAsync(hot, 2881), "hot key after a partial eviction");
    }

    [Fact]
    public async Task AWalSstRefusesLookups()
    {
        var sst = Build([Put(Key("k"), 1, "v")], new SstWriterOptions { Kind = SstKind.Wal });
        var reader = SstReader.Open(sst.Data, "w.sst");
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.GetAsync(Key("k"), 1));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.FindAsync(Key("k"), 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void BlockSearchAgreesWithTheRowsWhateverPrefixesTheWriterShared(int seed)
    {
        var random = new Random(seed);
        var rows = new List<Row>();
        var alphabet = "ab\u00ff"u8.ToArray();
        var distinct = new HashSet<string>();
        while (distinct.Count < 120)
        {
            var key = new byte[random.Next(1, 12)];
            for (var i = 0; i < key.Length; i++)
            {
                key[i] = alphabet[random.Next(alphabet.Length)];
            }

            if (distinct.Add(Convert.ToHexString(key)))
            {
                for (var v = random.Next(1, 4); v > 0; v--)
                {
                    rows.Add(Put(key, (ulong)random.Next(1, 100), $"{key.Length}-{v}"));
                }
            }
        }

        rows = Sorted(rows.DistinctBy(r => (Convert.ToHexString(r.Key.Span), r.Seq)));
        foreach (var maximal in new[] { true, false })
        {
            var block = EncodeBlock(rows, maximal, random, "b.sst");
            for (var q = 0; q < 600; q++)
            {
                var key = q % 3 == 0
                    ? rows[random.Next(rows.Count)].Key.ToArray()
                    : [.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => alphabet[random.Next(alphabet.Length)])];
                var maxSeq = q % 4 == 0 ? ulong.MaxValue : (ulong)random.Next(0, 100);
                var result = BlockSearch.Find(block, key, maxSeq, key, out var row);
                var want = Model(rows, key, maxSeq);
                var what = $"seed {seed}, maximal {maximal}: Find({Convert.ToHexString(key)}, {maxSeq})";
                AssertSame(want, result == BlockSearchResult.Found ? row : null, what);
                var lastIsKey = rows[^1].Key.Span.SequenceEqual(key);
                var expected = want.HasValue ? BlockSearchResult.Found : lastIsKey ? BlockSearchResult.MayContinue : BlockSearchResult.Absent;
                Assert.True(expected == result, $"{what}: {result}, expected {expected}");
            }
        }
    }

    [Theory]
    [InlineData(1, "")]
    [InlineData(2, "tenant-0042/")]
    [InlineData(3, "t/0123456789abcdef/")]
    public void TheIndexFindsTheFirstBlockAsAScanWould(int seed, string shape)
    {
        var random = new Random(seed);
        var alphabet = "\0az\u00ff"u8.ToArray();
        byte[] RandomKey(int max)
        {
            // Keys share `shape` most of the time, then random bytes; long runs of equal bytes make 8-byte prefixes tie.
            var tail = new byte[random.Next(0, max)];
            for (var i = 0; i < tail.Length; i++)
            {
                tail[i] = i < 9 && random.Next(3) > 0 ? (byte)'z' : alphabet[random.Next(alphabet.Length)];
            }

            return random.Next(10) == 0 ? tail : [.. Key(shape), .. tail];
        }

        foreach (var count in new[] { 1, 2, 7, 300 })
        {
            var keys = Enumerable.Range(0, count).Select(_ => RandomKey(20)).Where(k => k.Length > 0).ToList();
            if (keys.Count == 0)
            {
                continue;
            }

            keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            var builder = new IndexBlock.Builder();
            foreach (var key in keys)
            {
                builder.Add(100, key);
            }

            var index = IndexBlock.Decode(builder.Finish().ToArray(), 100L * keys.Count, SstKind.Compacted, "i.sst");
            var targets = keys.Concat(Enumerable.Range(0, 400).Select(_ => RandomKey(22))).Append([]).Append(Key(shape));
            foreach (var target in targets)
            {
                var want = keys.FindIndex(k => k.AsSpan().SequenceCompareTo(target) >= 0);
                want = want < 0 ? keys.Count : want;
                var got = index.FindFirstBlock(target);
                Assert.True(want == got, $"seed {seed}, {keys.Count} keys: FindFirstBlock({Convert.ToHexString(target)}) = {got}, expected {want}");
            }
        }
    }

    [Fact]
    public void ADamagedBlockRaisesCorruptionNamingTheObject()
    {
        var rows = Sorted(Enumerable.Range(0, 40).Select(i => Put(NumberKey(i), (ulong)(i + 1), $"value-{i}")));
        var builder = new BlockBuilder(8192);
        foreach (var row in rows)
        {
            Assert.True(builder.TryAdd(row, int.MaxValue));
        }

        var bytes = builder.Finish().ToArray();
        var targets = new[] { NumberKey(0), NumberKey(17), NumberKey(39), NumberKey(50), Key("a") };
        var detected = 0;
        for (var position = 0; position < bytes.Length; position++)
        {
            foreach (var pattern in new byte[] { 0xFF, 0x80, 0x01 })
            {
                var damaged = (byte[])bytes.Clone();
                damaged[position] ^= pattern;
                try
                {
                    var block = new DataBlock(damaged, "damaged.sst", 4);
                    foreach (var target in targets)
                    {
                        BlockSearch.Find(block, target, ulong.MaxValue, target, out _);
                    }
                }
                catch (CorruptionException e)
                {
                    Assert.Equal("damaged.sst", e.ObjectPath);
                    Assert.StartsWith("block 4:", e.Detail, StringComparison.Ordinal);
                    detected++;
                    continue;
                }
                catch (Exception e)
                {
                    Assert.Fail($"byte {position} ^ 0x{pattern:x2}: {e.GetType().Name}: {e.Message}");
                }

                // The first entry's lengths and flags, and the restart array, are read by every lookup.
                var header = position < 3 + 1 || position >= bytes.Length - (2 * sizeof(uint));
                Assert.False(header && pattern != 0x01, $"byte {position} ^ 0x{pattern:x2} went unnoticed");
            }
        }

        Assert.True(detected > 0);
    }

    private static byte[]? GetArray(ReadOnlyMemory<byte> memory)
        => System.Runtime.InteropServices.MemoryMarshal.TryGetArray(memory, out var segment) ? segment.Array : null;
}
