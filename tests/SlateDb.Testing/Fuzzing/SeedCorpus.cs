using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Wal;

namespace SlateDb.Testing.Fuzzing;

/// <summary>
/// Valid inputs for the fuzz targets, written by the database's own encoders from fixed seeds, so every run starts
/// from the same corpus: SSTs (compacted and WAL, with and without filter and compression, one and many blocks), data
/// blocks, stored blocks, footers, properties, indexes, filters, manifests, compactor states, WAL fences and store URIs.
/// </summary>
internal static class SeedCorpus
{
    private static readonly Lazy<IReadOnlyList<byte[]>> CompactedSsts = new(() => BuildSsts(SstKind.Compacted));
    private static readonly Lazy<IReadOnlyList<byte[]>> WalSsts = new(() => BuildSsts(SstKind.Wal));

    /// <summary>Whole SSTs of both kinds.</summary>
    public static IReadOnlyList<byte[]> Ssts() => [.. CompactedSsts.Value, .. WalSsts.Value];

    /// <summary>WAL objects as replay reads them: WAL SSTs and fences.</summary>
    public static IReadOnlyList<byte[]> WalObjects() => [.. WalSsts.Value, .. Fences()];

    /// <summary>Decoded data blocks in compacted order (some keys sharing less than their longest prefix) and in WAL order.</summary>
    public static IReadOnlyList<byte[]> DataBlocks()
    {
        var random = new Random(11);
        var blocks = new List<byte[]>();
        foreach (var count in new[] { 1, 2, 15, 16, 17, 40, 120 })
        {
            var rows = SortedRows(random, count);
            blocks.Add(EncodeBlock(rows, random, maximalPrefix: true));
            blocks.Add(EncodeBlock(rows, random, maximalPrefix: false));
        }

        blocks.Add(EncodeBlock(WalRows(random, 30), random, maximalPrefix: true));
        return blocks;
    }

    /// <summary>Stored blocks (payload, codec byte, checksum), uncompressed and zstd.</summary>
    public static IReadOnlyList<byte[]> StoredBlocks()
    {
        var stored = new List<byte[]>();
        foreach (var block in DataBlocks().Take(8))
        {
            stored.Add(Seal(block, compress: false));
            stored.Add(Seal(block, compress: true));
        }

        return stored;
    }

    /// <summary>Footers, each preceded by the object size as a little-endian u64.</summary>
    public static IReadOnlyList<byte[]> Footers()
        => [.. Ssts().Select(sst => Concat(BitConverter.GetBytes((long)sst.Length), sst.AsSpan(sst.Length - SstFormat.FooterLength)))];

    /// <summary>Decoded properties blocks.</summary>
    public static IReadOnlyList<byte[]> Properties() => [.. Ssts().Select(sst => MetadataPart(sst, footer => (footer.PropertiesOffset, footer.PropertiesLength)))];

    /// <summary>Decoded index blocks, each preceded by the data region's length (u64) and the SST kind (u8).</summary>
    public static IReadOnlyList<byte[]> Indexes()
        => [.. Ssts().Select(sst =>
        {
            var footer = ReadFooter(sst);
            var kind = SstReader.Open(sst, "seed.sst").Info.Kind;
            var index = MetadataPart(sst, f => (f.IndexOffset, f.IndexLength));
            return Concat([.. BitConverter.GetBytes(footer.DataEnd), (byte)kind], index);
        })];

    /// <summary>Decoded bloom filters.</summary>
    public static IReadOnlyList<byte[]> Filters()
        => [.. CompactedSsts.Value.Where(sst => ReadFooter(sst).FilterLength > 0).Select(sst => MetadataPart(sst, f => (f.FilterOffset, f.FilterLength)))];

    /// <summary>WAL fence objects.</summary>
    public static IReadOnlyList<byte[]> Fences() => [WalFenceObject.Encode(1), WalFenceObject.Encode(0x0102_0304_0506_0708), WalFenceObject.Encode(ulong.MaxValue)];

    /// <summary>
    /// Manifests: an empty one, and every version a database wrote while it flushed L0 SSTs and took a checkpoint, the
    /// last of them extended with a sorted run and a clone parent (the fields a writer alone does not set).
    /// </summary>
    public static IReadOnlyList<byte[]> Manifests() => WrittenManifests.Value;

    private static readonly Lazy<IReadOnlyList<byte[]>> WrittenManifests = new(() => Task.Run(WriteManifestsAsync).GetAwaiter().GetResult());

    private static async Task<IReadOnlyList<byte[]>> WriteManifestsAsync()
    {
        var store = new InMemoryObjectStore();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var settings = new Settings { Compactor = null, L0SstSizeBytes = 4096, BlockSize = 1024 };
        var db = await Db.Builder("db", store).WithSettings(settings).WithTimeProvider(time).WithSeed(3).BuildAsync().ConfigureAwait(false);
        await using (db.ConfigureAwait(false))
        {
            var random = new Random(29);
            foreach (var row in SortedRows(random, 60).Where(r => r.Kind == RowKind.Put))
            {
                await db.PutAsync(row.Key, row.Value, new WriteOptions { AwaitDurable = false }).ConfigureAwait(false);
            }

            await db.FlushAsync(FlushType.MemTable).ConfigureAwait(false);
            await db.CreateCheckpointAsync(CheckpointScope.All, new CheckpointOptions { Name = "nightly", Lifetime = TimeSpan.FromDays(1) }).ConfigureAwait(false);
        }

        var manifests = new List<byte[]> { ManifestCodec.Instance.Encode(new ManifestData()) };
        await foreach (var meta in store.ListAsync("db/manifest/").ConfigureAwait(false))
        {
            manifests.Add((await store.GetAsync(meta.Path).ConfigureAwait(false)).Bytes.ToArray());
        }

        var extended = ManifestCodec.Instance.Decode("seed", manifests[^1]);
        var run = new SortedRun { Id = 1 };
        run.Ssts.Add(extended.L0[^1]);
        extended.SortedRuns.Add(run);
        var parent = new ExternalDb { Path = "parent/db", SourceCheckpointId = extended.Checkpoints[0].Id, FinalCheckpointId = extended.Checkpoints[0].Id };
        parent.SstIds.Add(extended.L0[0].Id);
        extended.ExternalDbs.Add(parent);
        manifests.Add(ManifestCodec.Instance.Encode(extended));
        return manifests;
    }

    /// <summary>Compactor states.</summary>
    public static IReadOnlyList<byte[]> CompactorStates()
    {
        var random = new DbRandom(6);
        var state = new CompactionsState { CompactorEpoch = 2 };
        var job = new CompactionJob { Id = SstId.FromUlid(random.NextUlid(1_700_000_000_000)), OutputRun = 3, StartTimeMs = 1_700_000_000_000 };
        job.InputL0.Add(SstId.FromUlid(random.NextUlid(1_700_000_000_000)));
        job.InputRuns.Add(1);
        job.InputRuns.Add(2);
        state.Jobs.Add(job);
        return [CompactionsCodec.Instance.Encode(new CompactionsState()), CompactionsCodec.Instance.Encode(state)];
    }

    /// <summary>Store URIs of every scheme, valid and refused.</summary>
    public static IReadOnlyList<byte[]> StoreUris()
        => [.. new[]
        {
            "memory://", "memory://name/with%20space", "file:///var/data/db", "file://localhost/tmp/x", "s3://bucket/prefix?region=us-east-1",
            "s3://bucket.with.dots/p?endpoint=http://127.0.0.1:9000&region=eu", "az://container/prefix?endpoint=http://127.0.0.1:10000/devstoreaccount1",
            "s3://user:pw@bucket/p", "s3://bucket/p?secret=x", "gs://bucket", "memory://%zz", "s3://?region=a&region=b",
        }.Select(Encoding.UTF8.GetBytes)];

    /// <summary>Ids and paths as tools and listings spell them.</summary>
    public static IReadOnlyList<byte[]> Ids()
        => [.. new[]
        {
            "01ARZ3NDEKTSV4RRFFQ69G5FAV", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "db/wal/00000000000000000042.sst", "db/manifest/00000000000000000001.manifest",
            "db/compacted/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst", "tenants/a/orders", "a/../b",
        }.Select(Encoding.UTF8.GetBytes)];

    private static List<byte[]> BuildSsts(SstKind kind)
    {
        var random = new Random(kind == SstKind.Wal ? 23 : 17);
        var ssts = new List<byte[]>();
        var configurations = new (int Rows, int BlockSize, CompressionCodec Codec, int BloomBits)[]
        {
            (1, 4096, CompressionCodec.None, 10), (20, 4096, CompressionCodec.None, 0), (60, 256, CompressionCodec.None, 10),
            (60, 256, CompressionCodec.Zstd, 10), (200, 1024, CompressionCodec.Zstd, 0),
        };
        foreach (var (count, blockSize, codec, bloomBits) in configurations)
        {
            var options = new SstWriterOptions
            {
                Kind = kind,
                BlockSize = blockSize,
                Compression = codec,
                BloomBitsPerKey = kind == SstKind.Wal ? 0 : bloomBits,
                MinFilterKeys = 1,
                CreationTimeMs = 1_700_000_000_000,
            };
            using var writer = new SstWriter(options);
            foreach (var row in kind == SstKind.Wal ? WalRows(random, count) : SortedRows(random, count))
            {
                writer.Add(row);
            }

            ssts.Add(writer.Finish().Data.ToArray());
        }

        return ssts;
    }

    // Keys with shared prefixes, 1 to 3 versions each (seq descending), every row kind, some with expiry.
    private static List<Row> SortedRows(Random random, int keys)
    {
        var distinct = new SortedSet<string>(StringComparer.Ordinal);
        while (distinct.Count < keys)
        {
            distinct.Add(RandomKey(random));
        }

        var rows = new List<Row>();
        foreach (var key in distinct)
        {
            var versions = random.Next(1, 4);
            var seq = (ulong)random.Next(100, 1000);
            for (var v = 0; v < versions; v++)
            {
                rows.Add(RandomRow(random, Encoding.ASCII.GetBytes(key), seq));
                seq -= (ulong)random.Next(1, 50);
            }
        }

        return rows;
    }

    // Rows in seq order with keys in any order, as a WAL SST holds them.
    private static List<Row> WalRows(Random random, int count)
        => [.. Enumerable.Range(0, count).Select(i => RandomRow(random, Encoding.ASCII.GetBytes(RandomKey(random)), (ulong)(1000 + (i / 2))))];

    private static string RandomKey(Random random)
    {
        string[] prefixes = ["", "t/", "tenant-0001/", "tenant-0001/orders/"];
        var tail = new StringBuilder();
        for (var i = random.Next(1, 12); i > 0; i--)
        {
            tail.Append((char)random.Next('0', 'z'));
        }

        return prefixes[random.Next(prefixes.Length)] + tail;
    }

    private static Row RandomRow(Random random, byte[] key, ulong seq)
    {
        var kind = random.Next(10) switch { 0 => RowKind.Delete, 1 => RowKind.Merge, _ => RowKind.Put };
        var value = kind == RowKind.Delete ? [] : new byte[random.Next(3) == 0 ? 0 : random.Next(1, 200)];
        random.NextBytes(value);
        var expire = kind == RowKind.Put && random.Next(4) == 0 ? random.Next() : Row.NoExpiry;
        return new Row(key, seq, kind, value, random.Next(), expire);
    }

    private static byte[] EncodeBlock(List<Row> rows, Random random, bool maximalPrefix)
    {
        var builder = new BlockBuilder(1 << 16);
        byte[]? previous = null;
        foreach (var row in rows)
        {
            var common = previous is null ? 0 : row.Key.Span.CommonPrefixLength(previous);
            builder.TryAdd(row.Key.Span, row.Value.Span, row, int.MaxValue, maximalPrefix ? common : random.Next(0, common + 1));
            previous = row.Key.ToArray();
        }

        return builder.Finish().ToArray();
    }

    private static byte[] Seal(byte[] block, bool compress)
    {
        var output = new ByteBuffer(block.Length + 64);
        block.CopyTo(output.GetSpan(block.Length));
        output.Advance(block.Length);
        var scratch = Array.Empty<byte>();
        using var compressor = compress ? new ZstdSharp.Compressor(BlockCompression.DefaultZstdLevel) : null;
        BlockCompression.SealInPlace(output, 0, compressor, ref scratch);
        return output.WrittenSpan.ToArray();
    }

    private static SstFooter ReadFooter(byte[] sst) => SstFooter.Read(sst.AsSpan(sst.Length - SstFormat.FooterLength), sst.Length, "seed.sst");

    private static byte[] MetadataPart(byte[] sst, Func<SstFooter, (long Offset, int Length)> part)
    {
        var (offset, length) = part(ReadFooter(sst));
        return BlockCompression.Read(sst.AsMemory((int)offset, length), "seed.sst", "seed").ToArray();
    }

    private static byte[] Concat(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => [.. first, .. second];
}
