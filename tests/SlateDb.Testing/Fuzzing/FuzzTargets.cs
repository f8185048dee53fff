using System.Buffers.Binary;
using System.Text;
using SlateDb.Engine;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Wal;

namespace SlateDb.Testing.Fuzzing;

/// <summary>
/// Every parser of stored or user-given bytes, as a fuzz target. Decoders of checksummed objects are fed each input
/// twice: as it is, and with its checksums recomputed, so mutations reach the fields behind the checksum.
/// </summary>
public static class FuzzTargets
{
    private const string Path = "fuzz.sst";

    /// <summary>All targets, in a fixed order.</summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("sst", "whole SST: footer, properties, index, filter, every data block (scan, seek, point lookups, verify)", SeedCorpus.Ssts, async input =>
        {
            await CheckSstAsync(input).ConfigureAwait(false);
            if (Checksums.ResealSst(input) is { } resealed)
            {
                await CheckSstAsync(resealed).ConfigureAwait(false);
            }
        }),
        new("sst-block", "decoded data block through the scan cursor and the point search, which must agree", SeedCorpus.DataBlocks, input =>
        {
            BlockDifferential.Check(input);
            return ValueTask.CompletedTask;
        }),
        new("sst-compression", "stored block: trailer, checksum, codec, zstd frame", SeedCorpus.StoredBlocks, input =>
        {
            CheckStoredBlock(input);
            if (Checksums.ResealBlock(input) is { } resealed)
            {
                CheckStoredBlock(resealed);
            }

            return ValueTask.CompletedTask;
        }),
        new("sst-footer", "u64 object size, then the footer", SeedCorpus.Footers, input =>
        {
            CheckFooter(input);
            if (input.Length == sizeof(long) + SstFormat.FooterLength)
            {
                var resealed = (byte[])input.Clone();
                BinaryPrimitives.WriteUInt32LittleEndian(resealed.AsSpan(sizeof(long) + 42), Crc32C.Compute(resealed.AsSpan(sizeof(long), 42)));
                CheckFooter(resealed);
            }

            return ValueTask.CompletedTask;
        }),
        new("sst-properties", "decoded properties block (SstInfo)", SeedCorpus.Properties, input =>
        {
            SstProperties.Read(input, 1 << 20, Path);
            return ValueTask.CompletedTask;
        }),
        new("sst-index", "u64 data length, u8 SST kind, then a decoded index block; then block lookups", SeedCorpus.Indexes, input =>
        {
            CheckIndex(input);
            return ValueTask.CompletedTask;
        }),
        new("sst-filter", "decoded bloom filter block; then probes", SeedCorpus.Filters, input =>
        {
            var filter = BloomFilter.Decode(input, Path);
            for (var i = 0; i < Math.Min(input.Length, 16); i++)
            {
                filter.MightContain(input.AsSpan(i));
            }

            return ValueTask.CompletedTask;
        }),
        new("wal-object", "a WAL object as replay reads it: a fence (18 bytes) or a WAL SST, every row", SeedCorpus.WalObjects, async input =>
        {
            await CheckWalObjectAsync(input).ConfigureAwait(false);
            var resealed = input.Length == WalFenceObject.Length ? Checksums.ResealTrailingCrc(input) : Checksums.ResealSst(input);
            if (resealed is not null)
            {
                await CheckWalObjectAsync(resealed).ConfigureAwait(false);
            }
        }),
        new("wal-fence", "WAL fence object (SDBF)", SeedCorpus.Fences, input =>
        {
            WalFenceObject.Decode(input, "db/wal/00000000000000000001.sst");
            if (Checksums.ResealTrailingCrc(input) is { } resealed)
            {
                WalFenceObject.Decode(resealed, "db/wal/00000000000000000001.sst");
            }

            return ValueTask.CompletedTask;
        }),
        new("manifest", "manifest (SDBM framed protobuf), then the SST views the read path builds from it", SeedCorpus.Manifests, input =>
        {
            CheckManifest(input);
            if (Checksums.ResealTrailingCrc(input) is { } resealed)
            {
                CheckManifest(resealed);
            }

            return ValueTask.CompletedTask;
        }),
        new("compactor-state", "compactor state (SDBC framed protobuf)", SeedCorpus.CompactorStates, input =>
        {
            CompactionsCodec.Instance.Decode("db/compactions/00000000000000000001.compactions", input);
            if (Checksums.ResealTrailingCrc(input) is { } resealed)
            {
                CompactionsCodec.Instance.Decode("db/compactions/00000000000000000001.compactions", resealed);
            }

            return ValueTask.CompletedTask;
        }),
        new("store-uri", "ObjectStores.FromUri (file URIs are parsed as memory URIs, so nothing is created on disk)", SeedCorpus.StoreUris, input =>
        {
            var uri = Encoding.UTF8.GetString(input);
            var schemeEnd = uri.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd > 0 && uri[..schemeEnd].Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                uri = "memory" + uri[schemeEnd..];
            }

            (SlateDb.ObjectStore.ObjectStores.FromUri(uri) as IDisposable)?.Dispose();
            return ValueTask.CompletedTask;
        }, typeof(ArgumentException)),
        new("ids", "ULIDs, object names (WAL, manifest, compacted SST ids) and database paths", SeedCorpus.Ids, input =>
        {
            CheckIds(Encoding.UTF8.GetString(input));
            return ValueTask.CompletedTask;
        }),
    ];

    /// <summary>The target named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No target has that name.</exception>
    public static FuzzTarget Get(string name)
        => All.FirstOrDefault(t => t.Name == name)
           ?? throw new ArgumentException($"No fuzz target '{name}'; the targets are: {string.Join(", ", All.Select(t => t.Name))}.", nameof(name));

    private static async ValueTask CheckSstAsync(byte[] data)
    {
        var reader = SstReader.Open(data, Path);
        var keys = new List<(byte[] Key, ulong Seq)>();
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false, ReadAheadBlocks = 2 });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                if (keys.Count < 16)
                {
                    keys.Add((iterator.Current.Key.ToArray(), iterator.Current.Seq));
                }
            }

            if (keys.Count > 0 && reader.Info.Kind == SstKind.Compacted)
            {
                await iterator.SeekAsync(keys[keys.Count / 2].Key).ConfigureAwait(false);
                for (var i = 0; i < 4 && await iterator.MoveNextAsync().ConfigureAwait(false); i++)
                {
                }
            }
        }

        if (reader.Info.Kind == SstKind.Compacted)
        {
            foreach (var (key, seq) in keys)
            {
                await reader.GetAsync(key, ulong.MaxValue).ConfigureAwait(false);
                await reader.GetAsync(key, seq - 1).ConfigureAwait(false);
                await reader.GetAsync(Extend(key), seq).ConfigureAwait(false);
            }
        }

        await reader.VerifyAsync().ConfigureAwait(false);
    }

    private static byte[] Extend(byte[] key) => [.. key, 0];

    private static void CheckStoredBlock(byte[] stored)
    {
        var decoded = BlockCompression.Read(stored, Path, "block", 0);
        _ = new DataBlock(decoded, Path, 0);
    }

    private static void CheckFooter(byte[] input)
    {
        if (input.Length < sizeof(long))
        {
            return;
        }

        var size = Math.Max(BinaryPrimitives.ReadInt64LittleEndian(input), input.Length - sizeof(long));
        SstFooter.Read(input.AsSpan(sizeof(long)), size, Path);
    }

    private static void CheckIndex(byte[] input)
    {
        if (input.Length < sizeof(long) + 1)
        {
            return;
        }

        var dataEnd = BinaryPrimitives.ReadInt64LittleEndian(input);
        var kind = (input[sizeof(long)] & 1) == 0 ? SstKind.Compacted : SstKind.Wal;
        var index = IndexBlock.Decode(input.AsMemory(sizeof(long) + 1), dataEnd, kind, Path);
        for (var i = 0; i < index.Count; i++)
        {
            _ = index.BlockOffset(i) + index.BlockLength(i);
            var key = index.Key(i).ToArray();
            if (key.Length > 0)
            {
                index.FindFirstBlock(key);
                index.FindFirstBlock([.. key, 0]);
                index.FindFirstBlock(key.AsSpan(0, key.Length - 1));
            }
        }

        if (index.Count > 0)
        {
            _ = index.RangeLength(0, index.Count);
        }
    }

    private static async ValueTask CheckWalObjectAsync(byte[] data)
    {
        if (data.Length == 0)
        {
            return;   // replay refuses an empty object before decoding anything
        }

        if (data.Length == WalFenceObject.Length)
        {
            WalFenceObject.Decode(data, "db/wal/00000000000000000001.sst");
            return;
        }

        var reader = SstReader.Open(data, "db/wal/00000000000000000001.sst");
        var iterator = reader.CreateIterator(KeyRange.All, new SstReadOptions { CacheBlocks = false });
        await using (iterator.ConfigureAwait(false))
        {
            while (await iterator.MoveNextAsync().ConfigureAwait(false))
            {
                _ = iterator.Current.Seq;
            }
        }
    }

    private static void CheckManifest(byte[] input)
    {
        var manifest = ManifestCodec.Instance.Decode("db/manifest/00000000000000000001.manifest", input);
        var paths = new DbPaths("db");
        var l0 = ManifestViews.L0(manifest, paths);
        var runs = ManifestViews.SortedRuns(manifest, paths);
        ManifestViews.Paths(l0, runs);
        foreach (var checkpoint in manifest.Checkpoints)
        {
            checkpoint.Id.ToGuid();
        }
    }

    private static void CheckIds(string text)
    {
        _ = Ulid.TryParse(text, out _);
        try
        {
            Ulid.Parse(text);
        }
        catch (FormatException)
        {
            // The documented refusal.
        }

        var paths = new DbPaths("db");
        _ = paths.TryParseWalId(text, out _);
        _ = paths.TryParseManifestId(text, out _);
        _ = paths.TryParseCompactionsId(text, out _);
        _ = paths.TryParseCompactedId(text, out _);
        try
        {
            _ = new DbPaths(text);
        }
        catch (ArgumentException)
        {
            // The documented refusal.
        }
    }
}
