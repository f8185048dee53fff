using SlateDb.Cache;
using SlateDb.Format;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.Format;

/// <summary>
/// Flips every byte of small SSTs in turn and proves that reading never yields wrong data and never fails with anything
/// but <see cref="CorruptionException"/> naming the object and the part.
/// </summary>
public class SstCorruptionTests
{
    private static readonly byte[] Patterns = [0xFF, 0x01, 0x80];
    private static readonly string[] Parts = ["footer", "properties", "index", "filter", "block "];

    private static List<Row> SampleRows(SstKind kind)
    {
        var rows = new List<Row>();
        for (var i = 0; i < 40; i++)
        {
            var key = NumberKey(kind == SstKind.Wal ? (i * 17) % 40 : i);
            rows.Add(i % 7 == 3 ? Delete(key, (ulong)(100 + i)) : Put(key, (ulong)(100 + i), System.Text.Encoding.UTF8.GetBytes(new string((char)('a' + (i % 5)), 20 + i)), createTs: i, expireTs: i % 4 == 0 ? 10_000 + i : Row.NoExpiry));
            if (i % 9 == 0 && kind == SstKind.Compacted)
            {
                rows.Add(Merge(key, (ulong)(99 - i), "operand"));
            }
        }

        return rows;
    }

    public static TheoryData<CompressionCodec, bool> Variants => new()
    {
        { CompressionCodec.None, false },
        { CompressionCodec.Zstd, false },
        { CompressionCodec.None, true },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task EveryFlippedByteIsDetected(CompressionCodec codec, bool wal)
    {
        var kind = wal ? SstKind.Wal : SstKind.Compacted;
        var rows = SampleRows(kind);
        var sst = Build(rows, new SstWriterOptions { BlockSize = 256, Compression = codec, MinFilterKeys = 1, Kind = kind });
        var original = sst.Data.ToArray();
        var pristine = SstReader.Open(original, "pristine.sst");
        Assert.True(pristine.BlockCount >= 4);
        Assert.Equal(kind == SstKind.Compacted, pristine.HasFilter);
        var expected = await ReadAllAsync(pristine);
        var gets = kind == SstKind.Compacted ? await ExpectedGetsAsync(pristine, rows) : [];

        for (var position = 0; position < original.Length; position++)
        {
            foreach (var pattern in Patterns)
            {
                var corrupt = (byte[])original.Clone();
                corrupt[position] ^= pattern;
                var what = $"byte {position} of {original.Length} XOR 0x{pattern:x2} ({codec}, {kind})";
                // Point lookups cost more than the rest together; one pattern per position is enough for them.
                await AssertDetectedAsync(() => Task.FromResult(SstReader.Open(corrupt, "corrupt.sst")), expected, pattern == 0xFF ? gets : [], what);
            }
        }

        // The store path (ranged GETs, tail read, cache) on a sample of positions.
        var store = new InMemoryObjectStore();
        var cache = new BlockCache(1024 * 1024);
        for (var position = 0; position < original.Length; position += 7)
        {
            var corrupt = (byte[])original.Clone();
            corrupt[position] ^= 0xFF;
            var path = $"compacted/corrupt-{position}.sst";
            await store.PutAsync(path, corrupt, PutMode.Create);
            await AssertDetectedAsync(() => SstReader.OpenAsync(store, path, cache), expected, gets, $"stored byte {position}");
        }
    }

    /// <summary>
    /// Damages a byte and then repairs the checksum of the block (or footer) holding it, so the damage reaches the
    /// decoders: they must bounds-check every length and raise only <see cref="CorruptionException"/>.
    /// </summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public async Task DecodersNeverTrustLengths(CompressionCodec codec, bool wal)
    {
        var kind = wal ? SstKind.Wal : SstKind.Compacted;
        var rows = SampleRows(kind);
        var original = Build(rows, new SstWriterOptions { BlockSize = 256, Compression = codec, MinFilterKeys = 1, Kind = kind }).Data.ToArray();
        var pristine = SstReader.Open(original, "pristine.sst");
        var regions = StoredRegions(original, pristine);
        var outcomes = new Dictionary<string, int>();
        foreach (var (start, end) in regions)
        {
            for (var position = start; position < end - sizeof(uint); position++)
            {
                foreach (var pattern in new byte[] { 0xFF, 0x01, 0x80, 0x7F, 0x40 })
                {
                    var corrupt = (byte[])original.Clone();
                    corrupt[position] ^= pattern;
                    var crc = SlateDb.Infrastructure.Crc32C.Compute(corrupt.AsSpan(start, end - start - sizeof(uint)));
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(corrupt.AsSpan(end - sizeof(uint)), crc);
                    var outcome = await ReadEverythingAsync(corrupt, rows, $"byte {position} XOR 0x{pattern:x2} with a repaired checksum ({codec}, {kind})");
                    outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                }
            }
        }

        Assert.True(outcomes.GetValueOrDefault("corrupt") > 0, string.Join(", ", outcomes));
    }

    // The [start, end) of every checksummed structure: data blocks, filter, index, properties and the footer.
    private static List<(int Start, int End)> StoredRegions(byte[] data, SstReader reader)
    {
        var regions = new List<(int, int)>();
        for (var i = 0; i < reader.BlockCount; i++)
        {
            regions.Add(((int)reader.Index.BlockOffset(i), (int)reader.Index.BlockOffset(i) + reader.Index.BlockLength(i)));
        }

        var footer = SstFooter.Read(data.AsSpan(data.Length - SstFormat.FooterLength), data.Length, "x");
        if (footer.FilterLength > 0)
        {
            regions.Add(((int)footer.FilterOffset, (int)footer.FilterOffset + footer.FilterLength));
        }

        regions.Add(((int)footer.IndexOffset, (int)footer.IndexOffset + footer.IndexLength));
        regions.Add(((int)footer.PropertiesOffset, (int)footer.PropertiesOffset + footer.PropertiesLength));
        regions.Add((data.Length - SstFormat.FooterLength, data.Length));
        return regions;
    }

    private static async Task<string> ReadEverythingAsync(byte[] data, List<Row> rows, string what)
    {
        try
        {
            var reader = SstReader.Open(data, "fuzz.sst");
            await ReadAllAsync(reader);
            await ReadAllAsync(reader, KeyRange.Between(NumberKey(5), NumberKey(30)));
            if (reader.Info.Kind == SstKind.Compacted)
            {
                foreach (var row in rows.Take(12))
                {
                    await reader.GetAsync(row.Key, ulong.MaxValue);
                    reader.MightContain(row.Key.Span);
                }

                var iterator = reader.CreateIterator(KeyRange.All);
                await iterator.SeekAsync(NumberKey(20));
                await iterator.MoveNextAsync();
            }

            await reader.VerifyAsync();
            return "read";
        }
        catch (CorruptionException)
        {
            return "corrupt";
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    [Fact]
    public async Task VerifyNamesTheDamagedBlock()
    {
        var data = Build(SampleRows(SstKind.Compacted), new SstWriterOptions { BlockSize = 256 }).Data.ToArray();
        var pristine = SstReader.Open(data, "v.sst");
        await pristine.VerifyAsync();
        for (var block = 0; block < pristine.BlockCount; block++)
        {
            var corrupt = (byte[])data.Clone();
            corrupt[pristine.Index.BlockOffset(block) + 3] ^= 0x20;
            var e = await Assert.ThrowsAsync<CorruptionException>(() => SstReader.Open(corrupt, "v.sst").VerifyAsync());
            Assert.StartsWith($"block {block}:", e.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ATruncatedSstIsCorrupt()
    {
        var data = Build(SampleRows(SstKind.Compacted), new SstWriterOptions { BlockSize = 256 }).Data.ToArray();
        for (var length = 0; length < data.Length; length += 13)
        {
            var e = Assert.Throws<CorruptionException>(() => SstReader.Open(data.AsMemory(0, length), "cut.sst"));
            Assert.Equal("cut.sst", e.ObjectPath);
        }

        var store = new InMemoryObjectStore();
        await store.PutAsync("cut.sst", data.AsMemory(0, data.Length - 1), PutMode.Create);
        await Assert.ThrowsAsync<CorruptionException>(() => SstReader.OpenAsync(store, "cut.sst"));
    }

    [Fact]
    public void AnUnknownVersionIsRejectedByName()
    {
        var data = Build([Put(Key("k"), 1, "v")]).Data.ToArray();
        var footer = data.AsSpan(data.Length - SstFormat.FooterLength);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(footer[36..], 99);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(footer[42..], SlateDb.Infrastructure.Crc32C.Compute(footer[..42]));
        var e = Assert.Throws<CorruptionException>(() => SstReader.Open(data, "v99.sst"));
        Assert.Contains("version 99", e.Detail, StringComparison.Ordinal);
    }

    private static async Task<List<(byte[] Key, ulong MaxSeq, Row? Row)>> ExpectedGetsAsync(SstReader reader, List<Row> rows)
    {
        var gets = new List<(byte[], ulong, Row?)>();
        var keys = rows.Select(r => r.Key.ToArray()).DistinctBy(Convert.ToHexString).Append(NumberKey(1_000)).Append(NumberKey(15)).ToList();
        for (var i = 0; i < keys.Count; i++)
        {
            foreach (var maxSeq in i % 4 == 0 ? new[] { ulong.MaxValue, 120UL, 50UL } : [ulong.MaxValue])
            {
                gets.Add((keys[i], maxSeq, (await reader.GetAsync(keys[i], maxSeq))?.Detach()));
            }
        }

        return gets;
    }

    private static async Task AssertDetectedAsync(
        Func<Task<SstReader>> open, List<Row> expected, List<(byte[] Key, ulong MaxSeq, Row? Row)> gets, string what)
    {
        SstReader reader;
        try
        {
            reader = await open();
        }
        catch (CorruptionException e)
        {
            AssertNamesAPart(e, what);
            return;
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{what}: open raised {e.GetType().Name}: {e.Message}");
        }

        // Point lookups touch only some blocks: each either fails as corruption or returns the original answer.
        foreach (var (key, maxSeq, want) in gets)
        {
            try
            {
                var got = await reader.GetAsync(key, maxSeq);
                if (got.HasValue != want.HasValue || (got is { } g && !RowEquals(g, want!.Value)))
                {
                    Assert.Fail($"{what}: Get({Convert.ToHexString(key)}, {maxSeq}) returned {got} instead of {want}");
                }
            }
            catch (CorruptionException e)
            {
                AssertNamesAPart(e, what);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"{what}: get raised {e.GetType().Name}: {e.Message}");
            }
        }

        // A full iteration reads every byte of every block, so it must notice.
        try
        {
            var rows = await ReadAllAsync(reader);
            Assert.Fail($"{what}: went unnoticed (iteration returned {rows.Count} rows{(rows.Count == expected.Count && rows.Zip(expected).All(p => RowEquals(p.First, p.Second)) ? ", all original" : ", some wrong")})");
        }
        catch (CorruptionException e)
        {
            AssertNamesAPart(e, what);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"{what}: iteration raised {e.GetType().Name}: {e.Message}");
        }
    }

    private static void AssertNamesAPart(CorruptionException e, string what)
    {
        if (!Parts.Any(p => e.Detail.StartsWith(p, StringComparison.Ordinal)) || !e.Message.Contains(e.ObjectPath, StringComparison.Ordinal))
        {
            Assert.Fail($"{what}: the error does not name the object and the part: {e.Message}");
        }
    }
}
