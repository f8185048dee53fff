using SlateDb.Format;
using SlateDb.Infrastructure;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

public class SstRoundTripTests
{
    public static TheoryData<CompressionCodec> Codecs => [CompressionCodec.None, CompressionCodec.Zstd];

    private static SstWriterOptions Options(CompressionCodec codec, int blockSize = 4096, int minFilterKeys = 1)
        => new() { Compression = codec, BlockSize = blockSize, MinFilterKeys = minFilterKeys, CreationTimeMs = 1_700_000_000_000 };

    // Builds, then reads back through memory and through a store; both must return exactly the rows added.
    private static async Task<SstReader> RoundTripAsync(List<Row> rows, SstWriterOptions options)
    {
        var sst = Build(rows, options);
        Assert.Equal(sst.Data.Length, sst.Info.Size);
        var memory = SstReader.Open(sst.Data, "mem.sst");
        AssertRowsEqual(rows, await ReadAllAsync(memory));
        var (_, reader) = await StoreAndOpenAsync(sst);
        AssertRowsEqual(rows, await ReadAllAsync(reader));
        await memory.VerifyAsync();
        await reader.VerifyAsync();
        Assert.Equal(sst.Info, reader.Info with { FirstKey = sst.Info.FirstKey, LastKey = sst.Info.LastKey });
        Assert.True(reader.Info.FirstKey.Span.SequenceEqual(sst.Info.FirstKey.Span));
        Assert.True(reader.Info.LastKey.Span.SequenceEqual(sst.Info.LastKey.Span));
        Assert.Equal(rows.Count, reader.Info.RowCount);
        return reader;
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task EmptySst(CompressionCodec codec)
    {
        var reader = await RoundTripAsync([], Options(codec));
        Assert.Equal(0, reader.BlockCount);
        Assert.True(reader.Info.FirstKey.IsEmpty);
        Assert.Equal(0UL, reader.Info.MaxSeq);
        Assert.False(reader.MightContain(Key("a")));
        Assert.Null(await reader.GetAsync(Key("a"), ulong.MaxValue));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task SingleRow(CompressionCodec codec)
    {
        var reader = await RoundTripAsync([Put(Key("only"), 42, "v")], Options(codec));
        Assert.Equal(1, reader.BlockCount);
        Assert.Equal(42UL, reader.Info.MinSeq);
        Assert.Equal(42UL, reader.Info.MaxSeq);
        Assert.Equal(1_700_000_000_000, reader.Info.CreationTimeMs);
        Assert.Equal(codec, reader.Info.Compression);
        var row = await reader.GetAsync(Key("only"), 42);
        Assert.NotNull(row);
        Assert.Equal("v"u8.ToArray(), row.Value.Value.ToArray());
        Assert.Null(await reader.GetAsync(Key("only"), 41));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task EveryRowKindAndTimestamp(CompressionCodec codec)
    {
        var rows = new List<Row>
        {
            Put(Key("a"), 9, [], createTs: -5),
            Delete(Key("a"), 8, createTs: long.MinValue),
            Merge(Key("a"), 7, "+1", createTs: long.MaxValue),
            Put(Key("b"), 6, "expiring"u8.ToArray(), createTs: 10, expireTs: 20),
            Put(Key("b"), 5, "expired-long-ago"u8.ToArray(), createTs: 1, expireTs: long.MinValue),
            Delete(Key("c"), ulong.MaxValue),
            Put(Key("d"), 0, "zero seq"u8.ToArray()),
        };
        var reader = await RoundTripAsync(rows, Options(codec, blockSize: 64));
        Assert.Equal(0UL, reader.Info.MinSeq);
        Assert.Equal(ulong.MaxValue, reader.Info.MaxSeq);
        var tombstone = await reader.GetAsync(Key("c"), ulong.MaxValue);
        Assert.Equal(RowKind.Delete, tombstone!.Value.Kind);
        var merge = await reader.GetAsync(Key("a"), 7);
        Assert.Equal(RowKind.Merge, merge!.Value.Kind);
        var expiring = await reader.GetAsync(Key("b"), 100);
        Assert.Equal(20, expiring!.Value.ExpireTs);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task MaxSizeKeysAndLargeValues(CompressionCodec codec)
    {
        var rows = new List<Row>();
        for (var i = 0; i < 5; i++)
        {
            var key = new byte[Limits.MaxKeyLength];
            Array.Fill(key, (byte)'k');
            key[^1] = (byte)i;
            var value = new byte[i == 2 ? 3 * 1024 * 1024 : 100];
            new Random(i).NextBytes(value);
            rows.Add(Put(key, 10, value));
        }

        var reader = await RoundTripAsync(rows, Options(codec));
        Assert.Equal(5, reader.BlockCount);
        var found = await reader.GetAsync(rows[2].Key, 10);
        Assert.True(found!.Value.Value.Span.SequenceEqual(rows[2].Value.Span));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task KeysSharingLongPrefixes(CompressionCodec codec)
    {
        var prefix = new string('x', 5000);
        var rows = Enumerable.Range(0, 300).Select(i => Put(Key($"{prefix}{i:D4}"), 1, $"v{i}")).ToList();
        var reader = await RoundTripAsync(rows, Options(codec, blockSize: 16 * 1024));
        foreach (var i in new[] { 0, 1, 150, 299 })
        {
            Assert.Equal($"v{i}", System.Text.Encoding.UTF8.GetString((await reader.GetAsync(rows[i].Key, 1))!.Value.Value.Span));
        }
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task ManyVersionsOfOneKeySpanSeveralBlocks(CompressionCodec codec)
    {
        var hot = Key("hot");
        var rows = new List<Row> { Put(Key("cold-a"), 5, "a") };
        rows.AddRange(Enumerable.Range(0, 500).Select(i => Put(hot, (ulong)(1000 - i), $"version-{1000 - i}")));
        rows.Add(Put(Key("hot0"), 1, "after"));
        var reader = await RoundTripAsync(rows, Options(codec, blockSize: 256));
        Assert.True(reader.BlockCount > 10, $"expected the versions to span many blocks, got {reader.BlockCount}");

        foreach (var maxSeq in new ulong[] { ulong.MaxValue, 1000, 999, 750, 502, 501 })
        {
            var row = await reader.GetAsync(hot, maxSeq);
            var expected = Math.Min(maxSeq, 1000);
            Assert.Equal(expected, row!.Value.Seq);
            Assert.Equal($"version-{expected}", System.Text.Encoding.UTF8.GetString(row.Value.Value.Span));
        }

        Assert.Null(await reader.GetAsync(hot, 500));
        Assert.Equal("after", System.Text.Encoding.UTF8.GetString((await reader.GetAsync(Key("hot0"), 9))!.Value.Value.Span));

        var fromHot = await ReadAllAsync(reader, KeyRange.From(hot));
        Assert.Equal(501, fromHot.Count);
        Assert.Equal(1000UL, fromHot[0].Seq);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task WalSstKeepsInsertionOrder(CompressionCodec codec)
    {
        var rows = new List<Row>();
        for (var i = 0; i < 400; i++)
        {
            rows.Add(Put(NumberKey((i * 7919) % 400), (ulong)(i + 1), $"v{i}"));
        }

        rows.Add(Delete(NumberKey(3), 401));
        var options = Options(codec, blockSize: 512) with { Kind = SstKind.Wal };
        var reader = await RoundTripAsync(rows, options);
        Assert.Equal(SstKind.Wal, reader.Info.Kind);
        Assert.False(reader.HasFilter);
        Assert.True(reader.Info.FirstKey.Span.SequenceEqual(NumberKey(0)));
        Assert.True(reader.Info.LastKey.Span.SequenceEqual(NumberKey(399)));
        Assert.Equal(1UL, reader.Info.MinSeq);
        Assert.Equal(401UL, reader.Info.MaxSeq);

        var filtered = await ReadAllAsync(reader, KeyRange.Between(NumberKey(10), NumberKey(20)));
        AssertRowsEqual([.. rows.Where(r => KeyRange.Between(NumberKey(10), NumberKey(20)).Contains(r.Key.Span))], filtered);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.GetAsync(NumberKey(3), 500));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await reader.CreateIterator(KeyRange.All).SeekAsync(NumberKey(3)));
    }

    [Fact]
    public void WalSstRecordsTheSmallestAndLargestKeyWhateverTheirLengthOrSharedPrefix()
    {
        const int Seed = 31;
        var random = new Random(Seed);
        var alphabet = new byte[] { 0, 1, 0xFE, 0xFF };
        for (var trial = 0; trial < 200; trial++)
        {
            using var writer = new SstWriter(new SstWriterOptions { Kind = SstKind.Wal, BlockSize = 256 });
            var keys = new List<byte[]>();
            for (var i = 0; i < 1 + random.Next(40); i++)
            {
                // Short keys, keys that are prefixes of one another and keys equal in their first 8 bytes.
                var key = new byte[1 + random.Next(12)];
                for (var j = 0; j < key.Length; j++)
                {
                    key[j] = alphabet[random.Next(alphabet.Length)];
                }

                keys.Add(key);
                writer.Add(Put(key, (ulong)i + 1, "v"));
            }

            var info = writer.Finish().Info;
            keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
            Assert.True(info.FirstKey.Span.SequenceEqual(keys[0]), $"seed {Seed} trial {trial}: first key {Convert.ToHexString(info.FirstKey.Span)}, expected {Convert.ToHexString(keys[0])}");
            Assert.True(info.LastKey.Span.SequenceEqual(keys[^1]), $"seed {Seed} trial {trial}: last key {Convert.ToHexString(info.LastKey.Span)}, expected {Convert.ToHexString(keys[^1])}");
        }
    }

    [Fact]
    public void RejectsAKeyThatIsAPrefixOfThePreviousOne()
    {
        using var writer = new SstWriter(new SstWriterOptions());
        writer.Add(Put(Key("b"), 5, "v"));
        writer.Add(Put([.. Key("b"), 0], 5, "longer sorts after"));
        Assert.Throws<ArgumentException>(() => writer.Add(Put(Key("b"), 9, "shorter after longer")));
        writer.Add(Put([.. Key("b"), 0], 4, "an older version of the same key"));
        writer.Add(Put([.. Key("b"), 1], 9, "a new key"));
        Assert.Equal(4, writer.RowCount);
    }

    [Fact]
    public void RejectsRowsOutOfOrderNamingTheKey()
    {
        using var writer = new SstWriter(new SstWriterOptions());
        writer.Add(Put(Key("b"), 5, "v"));
        var e = Assert.Throws<ArgumentException>(() => writer.Add(Put(Key("a"), 9, "v")));
        Assert.Contains(Convert.ToHexString(Key("a")), e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => writer.Add(Put(Key("b"), 5, "same seq")));
        Assert.Throws<ArgumentException>(() => writer.Add(Put(Key("b"), 6, "newer after older")));
        writer.Add(Put(Key("b"), 4, "older version is fine"));
        Assert.Equal(2, writer.RowCount);
    }

    [Fact]
    public void RejectsInvalidRows()
    {
        using var writer = new SstWriter(new SstWriterOptions());
        Assert.Throws<ArgumentException>(() => writer.Add(Put([], 1, "empty key")));
        Assert.Throws<ArgumentException>(() => writer.Add(Put(new byte[Limits.MaxKeyLength + 1], 1, "long key")));
        Assert.Throws<ArgumentException>(() => writer.Add(new Row(Key("k"), 1, RowKind.Delete, "value"u8.ToArray(), 0)));
        Assert.Throws<ArgumentException>(() => writer.Add(new Row(Key("k"), 1, (RowKind)3, "v"u8.ToArray(), 0)));
        Assert.Equal(0, writer.RowCount);
    }

    [Fact]
    public void WriterIsUnusableAfterFinish()
    {
        var writer = new SstWriter(new SstWriterOptions());
        writer.Add(Put(Key("a"), 1, "v"));
        writer.Finish();
        Assert.Throws<ObjectDisposedException>(() => writer.Add(Put(Key("b"), 1, "v")));
        Assert.Throws<ObjectDisposedException>(() => writer.Finish());
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void EstimatedSizeTracksTheFinalSize(CompressionCodec codec)
    {
        using var writer = new SstWriter(Options(codec, minFilterKeys: 1000));
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var value = new byte[100];
            random.NextBytes(value);
            writer.Add(Put(NumberKey(i), 1, value));
        }

        var estimate = writer.EstimatedSize;
        var actual = writer.Finish().Data.Length;
        Assert.InRange(estimate, actual * 0.97, actual * 1.03);
    }

    [Fact]
    public void ZstdShrinksCompressibleBlocks()
    {
        var rows = Enumerable.Range(0, 5000).Select(i => Put(NumberKey(i), 1, new string('z', 100))).ToList();
        var plain = Build(rows, Options(CompressionCodec.None));
        var zstd = Build(rows, Options(CompressionCodec.Zstd));
        Assert.True(zstd.Data.Length * 3 < plain.Data.Length, $"zstd {zstd.Data.Length} vs plain {plain.Data.Length}");
    }

    [Fact]
    public async Task FilterIsSkippedBelowTheMinimumKeyCount()
    {
        var versions = Enumerable.Range(0, 99).SelectMany(i => new[] { Put(NumberKey(i), 2, "new"), Put(NumberKey(i), 1, "old") }).ToList();
        var below = SstReader.Open(Build(versions, new SstWriterOptions { MinFilterKeys = 100 }).Data, "a.sst");
        Assert.False(below.HasFilter);
        Assert.Equal(0, below.Info.BloomBitsPerKey);
        Assert.True(below.MightContain(NumberKey(50, "key-")));

        versions.AddRange([Put(NumberKey(99), 2, "new")]);
        var atMinimum = SstReader.Open(Build(versions, new SstWriterOptions { MinFilterKeys = 100 }).Data, "b.sst");
        Assert.True(atMinimum.HasFilter);
        Assert.Equal(10, atMinimum.Info.BloomBitsPerKey);

        var disabled = SstReader.Open(Build(versions, new SstWriterOptions { MinFilterKeys = 0, BloomBitsPerKey = 0 }).Data, "c.sst");
        Assert.False(disabled.HasFilter);
        Assert.Null(await disabled.GetAsync(NumberKey(5000), ulong.MaxValue));
    }

    [Fact]
    public void FilterRejectsMostAbsentKeys()
    {
        var rows = Enumerable.Range(0, 10_000).Select(i => Put(NumberKey(i * 2), 1, "v")).ToList();
        var reader = SstReader.Open(Build(rows).Data, "f.sst");
        Assert.True(reader.HasFilter);
        Assert.All(rows, r => Assert.True(reader.MightContain(r.Key.Span)));
        var falsePositives = Enumerable.Range(0, 10_000).Count(i => reader.MightContain(NumberKey((i * 2) + 1)));
        Assert.InRange(falsePositives, 1, 200);
        Assert.False(reader.MightContain(NumberKey(-1)));
        Assert.False(reader.MightContain(NumberKey(20_000)));
    }

    [Fact]
    public async Task MillionsOfSmallRows()
    {
        const int Count = 1_500_000;
        using var writer = new SstWriter(new SstWriterOptions { ExpectedSizeBytes = 64 * 1024 * 1024 });
        var value = new byte[8];
        for (var i = 0; i < Count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(value, i);
            writer.Add(new Row(NumberKey(i), (ulong)i + 1, RowKind.Put, value, i));
        }

        var reader = SstReader.Open(writer.Finish().Data, "big.sst");
        Assert.Equal(Count, reader.Info.RowCount);
        var iterator = reader.CreateIterator(KeyRange.All);
        var n = 0;
        while (await iterator.MoveNextAsync())
        {
            var row = iterator.Current;
            if (row.Seq != (ulong)n + 1 || System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(row.Value.Span) != n
                || !row.Key.Span.SequenceEqual(NumberKey(n)))
            {
                Assert.Fail($"row {n} is wrong: {row}");
            }

            n++;
        }

        Assert.Equal(Count, n);
        var random = new Random(11);
        for (var i = 0; i < 1000; i++)
        {
            var k = random.Next(Count);
            Assert.Equal((ulong)k + 1, (await reader.GetAsync(NumberKey(k), ulong.MaxValue))!.Value.Seq);
        }
    }
}
