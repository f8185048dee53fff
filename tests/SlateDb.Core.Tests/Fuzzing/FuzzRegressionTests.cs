using System.Buffers.Binary;
using SlateDb.Format;
using SlateDb.Infrastructure;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using SlateDb.Testing.Fuzzing;
using Xunit;

namespace SlateDb.Core.Tests.Fuzzing;

/// <summary>Inputs the fuzzers found, each refused now as it must be.</summary>
public class FuzzRegressionTests
{
    [Fact]
    public void A_zstd_length_larger_than_its_frame_can_hold_is_refused_before_allocating()
    {
        // u32 decoded length 256 MiB | 5 bytes of "zstd data" | codec 1 (zstd) | crc32c: 14 bytes claiming the format's limit.
        var stored = new byte[4 + 5 + SstFormat.BlockTrailerLength];
        BinaryPrimitives.WriteUInt32LittleEndian(stored, SstFormat.MaxDecodedBlockLength);
        "\x28\xB5\x2F\xFD\x00"u8.CopyTo(stored.AsSpan(4));
        stored[9] = (byte)CompressionCodec.Zstd;
        BinaryPrimitives.WriteUInt32LittleEndian(stored.AsSpan(10), Crc32C.Compute(stored.AsSpan(0, 10)));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CorruptionException>(() => BlockCompression.Read(stored, "x.sst", "block", 3));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("block 3", e.Detail, StringComparison.Ordinal);
        Assert.Contains("zstd frame can hold", e.Detail, StringComparison.Ordinal);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes were allocated for a 14-byte block");
    }

    [Fact]
    public void A_zstd_block_that_compressed_well_still_decodes()
    {
        // 1 MiB of one byte value compresses to a few dozen bytes: within the bound, so it must still be accepted.
        var block = new byte[1 << 20];
        var output = new ByteBuffer(block.Length);
        block.CopyTo(output.GetSpan(block.Length));
        output.Advance(block.Length);
        var scratch = Array.Empty<byte>();
        using var compressor = new ZstdSharp.Compressor(19);
        var storedLength = BlockCompression.SealInPlace(output, 0, compressor, ref scratch);

        Assert.True(storedLength < 1024, $"stored {storedLength} bytes");
        Assert.Equal(block.Length, BlockCompression.Read(output.WrittenSpan.ToArray(), "x.sst", "block", 0).Length);
    }

    [Theory]
    [InlineData("73333A2F2F6275636B65742E776974682E646F74732F703F656E64706F696E743D687474703A2F2F3132372E302E302E313A3930303026726567696F6E3D65FF")]
    [InlineData("73333A2F2F6275636B65742F7072656669783F726567696F6E3D75732D656173742D")]
    public async Task A_store_uri_with_an_invalid_region_is_an_ArgumentException_naming_the_region(string hex)
    {
        var uri = System.Text.Encoding.UTF8.GetString(Convert.FromHexString(hex));
        var e = Assert.Throws<ArgumentException>(() => ObjectStores.FromUri(uri));
        Assert.Contains("Region", e.Message, StringComparison.Ordinal);
        await FuzzTargets.Get("store-uri").RunAsync(Convert.FromHexString(hex));
    }

    [Theory]
    [InlineData("../parent")]
    [InlineData("parent//db")]
    [InlineData("/parent")]
    public async Task A_manifest_naming_an_invalid_external_database_path_is_corrupt(string path)
    {
        // The codec refuses to write such a manifest, so the bytes are framed by hand, as damage or another writer would leave them.
        var manifest = new ManifestData { Initialized = true };
        var external = new ExternalDb { Path = path, SourceCheckpointId = Uuid.FromGuid(new Guid("00000000-0000-0000-0000-000000000001")) };
        external.SstIds.Add(SstId.FromUlid(new Ulid(1, 2)));
        manifest.ExternalDbs.Add(external);
        var bytes = Frame(manifest);

        var e = Assert.Throws<CorruptionException>(() => ManifestCodec.Instance.Decode("db/manifest/00000000000000000001.manifest", bytes));
        Assert.Contains("external_dbs[0]", e.Detail, StringComparison.Ordinal);
        Assert.Contains(path, e.Detail, StringComparison.Ordinal);
        await FuzzTargets.Get("manifest").RunAsync(bytes);
    }

    private static byte[] Frame(ManifestData manifest)
    {
        var body = Google.Protobuf.MessageExtensions.ToByteArray(manifest);
        var bytes = new byte[6 + body.Length + 4];
        "SDBM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), ManifestCodec.FormatVersion);
        body.CopyTo(bytes, 6);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(6 + body.Length), Crc32C.Compute(bytes.AsSpan(0, 6 + body.Length)));
        return bytes;
    }
}
