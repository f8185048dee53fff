using SlateDb.Format;
using SlateDb.Read;
using Xunit;
using static SlateDb.Core.Tests.Format.SstTestKit;

namespace SlateDb.Core.Tests.RangeDeletes;

/// <summary>The range-tombstone block of an SST: round trip, lookups past the bloom filter, and corruption.</summary>
public sealed class RangeTombstoneSstTests
{
    private static RangeTombstoneList Tombstones() => RangeTombstoneList.Build(
    [
        new RangeTombstone(NumberKey(10), NumberKey(20), 500),
        new RangeTombstone(NumberKey(15), NumberKey(30), 700),
        new RangeTombstone(NumberKey(2000), RangeTombstone.NoEnd, 600),
    ]);

    private static SstBuildResult BuildWithTombstones(CompressionCodec codec = CompressionCodec.None)
    {
        using var writer = new SstWriter(new SstWriterOptions { BlockSize = 256, MinFilterKeys = 4, BloomBitsPerKey = 10, Compression = codec });
        for (var i = 0; i < 100; i += 2)
        {
            writer.Add(Put(NumberKey(i), (ulong)(100 + i), $"value-{i}"));
        }

        writer.AddRangeTombstones(Tombstones());
        return writer.Finish();
    }

    [Theory]
    [InlineData(CompressionCodec.None)]
    [InlineData(CompressionCodec.Zstd)]
    public async Task Tombstones_round_trip_widen_the_key_range_and_verify(CompressionCodec codec)
    {
        var built = BuildWithTombstones(codec);
        var reader = SstReader.Open(built.Data, "t.sst");

        Assert.Equal(Tombstones().Tombstones().ToList(), reader.RangeTombstones.Tombstones().Select(t => t).ToList(), TombstoneComparer.Instance);
        Assert.Equal(NumberKey(0), reader.Info.FirstKey.ToArray());
        Assert.Equal(NumberKey(2000), reader.Info.LastKey.ToArray());
        Assert.Equal(700UL, reader.Info.MaxSeq);
        Assert.Equal(50, reader.Info.RowCount);
        Assert.Null(reader.Info.RangeTombstones!.End);
        Assert.Equal(built.Info.RangeTombstones, reader.Info.RangeTombstones with { End = null });
        Assert.Equal(5, reader.RangeTombstones.TombstoneCount); // [10,15)@500, [15,20)@700,500, [20,30)@700, [2000,+inf)@600
        await reader.VerifyAsync();

        // Rows older than a covering tombstone read as deleted at its seq; newer ones and uncovered ones are untouched.
        var covered = await reader.GetAsync(NumberKey(12), 999);
        Assert.Equal(RowKind.Delete, covered!.Value.Kind);
        Assert.Equal(500UL, covered.Value.Seq);
        Assert.Equal(RowKind.Put, (await reader.GetAsync(NumberKey(12), 499))!.Value.Kind);
        Assert.Equal(700UL, (await reader.GetAsync(NumberKey(16), 999))!.Value.Seq);
        Assert.Equal(RowKind.Put, (await reader.GetAsync(NumberKey(40), 999))!.Value.Kind);
    }

    [Fact]
    public async Task A_covered_key_the_bloom_filter_rejects_still_reads_as_deleted()
    {
        var reader = SstReader.Open(BuildWithTombstones().Data, "t.sst");
        Assert.True(reader.HasFilter);
        var absent = NumberKey(5000);
        Assert.False(reader.MightContain(absent));

        var row = await reader.GetAsync(absent, 999);
        Assert.Equal(RowKind.Delete, row!.Value.Kind);
        Assert.Equal(600UL, row.Value.Seq);
        Assert.Null(await reader.GetAsync(absent, 599));
        Assert.Null(await reader.GetAsync(NumberKey(1001), 999));
    }

    [Fact]
    public void An_sst_of_only_tombstones_has_no_blocks_and_a_key_range_of_their_starts()
    {
        using var writer = new SstWriter(new SstWriterOptions());
        writer.AddRangeTombstones(Tombstones());
        var reader = SstReader.Open(writer.Finish().Data, "t.sst");

        Assert.Equal(0, reader.BlockCount);
        Assert.Equal(0, reader.Info.RowCount);
        Assert.Equal(NumberKey(10), reader.Info.FirstKey.ToArray());
        Assert.Equal(500UL, reader.Info.MinSeq);
        Assert.Equal(5, reader.RangeTombstones.TombstoneCount);
    }

    [Fact]
    public void Every_flipped_byte_of_the_tombstone_block_is_a_corruption_error_naming_it()
    {
        var built = BuildWithTombstones();
        var summary = built.Info.RangeTombstones!;
        for (var offset = summary.BlockOffset; offset < summary.BlockOffset + summary.BlockLength; offset++)
        {
            var bytes = built.Data.ToArray();
            bytes[offset] ^= 0x41;
            var error = Assert.Throws<CorruptionException>(() => SstReader.Open(bytes, "t.sst"));
            Assert.Contains("range tombstones", error.Message);
        }
    }

    [Fact]
    public void A_malformed_block_with_a_valid_checksum_is_a_corruption_error()
    {
        var output = new ByteBuffer(256);
        RangeTombstoneBlock.Write(output, RangeTombstoneList.Build([new RangeTombstone(Key("b"), Key("c"), 5)]));
        var payload = output.WrittenSpan.ToArray();
        Assert.Equal(1, RangeTombstoneBlock.Decode(payload, "t.sst").TombstoneCount);
        Assert.Throws<CorruptionException>(() => RangeTombstoneBlock.Decode(payload.AsSpan(0, payload.Length - 1), "t.sst"));

        // count (4 bytes) | start length (1) | "b" | has_end: 2 is no valid flag.
        payload[4 + 1 + 1] = 2;
        Assert.Contains("malformed", Assert.Throws<CorruptionException>(() => RangeTombstoneBlock.Decode(payload, "t.sst")).Message);

        // An end not past the start.
        payload[4 + 1 + 1] = 1;
        payload[4 + 1 + 1 + 1 + 1] = (byte)'a';
        Assert.Throws<CorruptionException>(() => RangeTombstoneBlock.Decode(payload, "t.sst"));
    }

    [Fact]
    public void A_compacted_sst_refuses_range_delete_rows_and_a_wal_sst_keeps_them_as_rows()
    {
        var row = new Row(Key("a"), 3, RowKind.RangeDelete, Key("m"), 0);
        using (var compacted = new SstWriter(new SstWriterOptions()))
        {
            Assert.Throws<ArgumentException>(() => compacted.Add(row));
        }

        using var wal = new SstWriter(new SstWriterOptions { Kind = SstKind.Wal });
        wal.Add(row);
        Assert.Throws<InvalidOperationException>(() => wal.AddRangeTombstones(Tombstones()));
        var reader = SstReader.Open(wal.Finish().Data, "w.sst");
        Assert.Equal(1, reader.Info.RowCount);
    }

    private sealed class TombstoneComparer : IEqualityComparer<RangeTombstone>
    {
        public static readonly TombstoneComparer Instance = new();

        public bool Equals(RangeTombstone a, RangeTombstone b)
            => a.Seq == b.Seq && a.Start.Span.SequenceEqual(b.Start.Span) && (a.End is { } x ? b.End is { } y && x.Span.SequenceEqual(y.Span) : b.End is null);

        public int GetHashCode(RangeTombstone t) => t.Seq.GetHashCode();
    }
}
