using System.Buffers.Binary;
using SlateDb.Infrastructure;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using Xunit;

namespace SlateDb.Core.Tests.Manifest;

public class ManifestCodecTests
{
    private const string Path = "db/manifest/00000000000000000007.manifest";
    private static readonly ManifestCodec Codec = ManifestCodec.Instance;

    [Fact]
    public void A_fully_populated_manifest_round_trips()
    {
        var manifest = TestManifests.FullyPopulated();

        var decoded = Codec.Decode(Path, Codec.Encode(manifest));

        Assert.Equal(manifest, decoded);
        Assert.Equal(-17, decoded.L0ClockTick);
        Assert.Equal("s3://wal-bucket/prefix", decoded.WalObjectStoreUri);
        Assert.Equal("nightly", decoded.Checkpoints[0].Name);
        Assert.False(decoded.Checkpoints[1].HasExpireTimeS);
        Assert.False(decoded.Checkpoints[1].HasName);
        Assert.Equal(manifest.Checkpoints[0].Id.ToGuid(), decoded.Checkpoints[0].Id.ToGuid());
        Assert.Equal(manifest.L0[1].Id.ToUlid(), decoded.L0[1].Id.ToUlid());
    }

    [Fact]
    public void The_frame_is_magic_version_body_and_a_little_endian_crc32c()
    {
        var bytes = Codec.Encode(ManifestDefaults.NewDatabase());

        Assert.Equal("SDBM"u8.ToArray(), bytes[..4]);
        Assert.Equal(ManifestCodec.FormatVersion, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)));
        var body = ManifestData.Parser.ParseFrom(bytes.AsSpan(6, bytes.Length - 10));
        Assert.Equal(ManifestDefaults.NewDatabase(), body);
    }

    [Fact]
    public void An_empty_manifest_is_the_ten_byte_frame()
    {
        var bytes = Codec.Encode(new ManifestData());

        Assert.Equal(ManifestCodec.MinLength, bytes.Length);
        Assert.Equal(new ManifestData(), Codec.Decode(Path, bytes));
    }

    [Fact]
    public void Optional_fields_keep_absent_apart_from_zero()
    {
        var none = Codec.Decode(Path, Codec.Encode(ManifestDefaults.NewDatabase()));
        var zero = ManifestDefaults.NewDatabase();
        zero.L0ClockTick = 0;
        zero.WalObjectStoreUri = "";
        var decodedZero = Codec.Decode(Path, Codec.Encode(zero));

        Assert.Equal(long.MinValue, none.L0ClockTick);
        Assert.False(none.HasLastL0ClockTick);
        Assert.False(none.HasWalObjectStoreUri);
        Assert.Null(none.L0LastCompacted);
        Assert.Equal(0, decodedZero.L0ClockTick);
        Assert.True(decodedZero.HasWalObjectStoreUri);
    }

    [Fact]
    public void Initialized_false_survives_the_round_trip()
    {
        var clone = TestManifests.FullyPopulated();
        clone.Initialized = false;

        Assert.False(Codec.Decode(Path, Codec.Encode(clone)).Initialized);
        Assert.True(Codec.Decode(Path, Codec.Encode(ManifestDefaults.NewDatabase())).Initialized);
    }

    [Fact]
    public void Flipping_any_byte_gives_a_corruption_exception_naming_the_object()
    {
        var bytes = Codec.Encode(TestManifests.FullyPopulated());
        foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                var corrupt = (byte[])bytes.Clone();
                corrupt[i] ^= mask;

                var e = Record.Exception(() => Codec.Decode(Path, corrupt));

                var corruption = Assert.IsType<CorruptionException>(e, exactMatch: false);
                Assert.True(Path == corruption.ObjectPath, $"byte {i} mask 0x{mask:X2}: {corruption.Message}");
                Assert.Equal(SlateDbErrorKind.Data, corruption.Kind);
            }
        }
    }

    [Fact]
    public void Truncating_at_any_length_gives_a_corruption_exception()
    {
        var bytes = Codec.Encode(TestManifests.FullyPopulated());
        for (var length = 0; length < bytes.Length; length++)
        {
            var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes.AsSpan(0, length)));
            Assert.Contains(length < ManifestCodec.MinLength ? "bytes" : "checksum", e.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_short_object_is_reported_with_its_length()
    {
        var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, "SDBM\x01\0"u8));

        Assert.Contains("6 bytes", e.Detail, StringComparison.Ordinal);
        Assert.Contains(Path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_magic_is_reported_as_magic()
    {
        var bytes = Codec.Encode(new ManifestData { WriterEpoch = 1 });
        bytes[0] = (byte)'X';

        var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes));

        Assert.Contains("magic", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_version_is_reported_even_with_a_valid_checksum()
    {
        var bytes = Codec.Encode(new ManifestData { WriterEpoch = 1 });
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 2);
        Reseal(bytes);

        var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes));

        Assert.Contains("version 2", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_checksum_is_reported_as_a_checksum_mismatch()
    {
        var bytes = Codec.Encode(new ManifestData { WriterEpoch = 1 });
        bytes[^1] ^= 0x10;

        var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes));

        Assert.Contains("checksum mismatch", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_is_not_protobuf_is_reported_as_a_parse_failure()
    {
        // Field 1 declared as a length-delimited value running past the end of the body.
        var bytes = Frame([0x0A, 0x7F, 0x01]);

        var e = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes));

        Assert.Contains("protobuf", e.Detail, StringComparison.Ordinal);
        Assert.NotNull(e.InnerException);
    }

    [Fact]
    public void A_structurally_invalid_manifest_is_refused_on_decode_and_on_encode()
    {
        var manifest = new ManifestData();
        manifest.L0.Add(new SstHandle { Size = 1 });
        var bytes = Frame(Google.Protobuf.MessageExtensions.ToByteArray(manifest));

        var decode = Assert.Throws<CorruptionException>(() => Codec.Decode(Path, bytes));
        var encode = Assert.Throws<SlateDbException>(() => Codec.Encode(manifest));

        Assert.Contains("l0[0] has no SST id", decode.Detail, StringComparison.Ordinal);
        Assert.Equal(SlateDbErrorKind.Internal, encode.Kind);
    }

    [Theory]
    [InlineData("checkpoint")]
    [InlineData("external path")]
    [InlineData("external source")]
    [InlineData("sorted run")]
    public void Every_structural_rule_is_checked(string broken)
    {
        var manifest = TestManifests.FullyPopulated();
        switch (broken)
        {
            case "checkpoint": manifest.Checkpoints[1].Id = null; break;
            case "external path": manifest.ExternalDbs[0].Path = ""; break;
            case "external source": manifest.ExternalDbs[0].SourceCheckpointId = null; break;
            case "sorted run": manifest.SortedRuns[0].Ssts[1].Id = null; break;
        }

        Assert.NotNull(ManifestCodec.FindStructuralProblem(manifest));
        Assert.Null(ManifestCodec.FindStructuralProblem(TestManifests.FullyPopulated()));
    }

    private static byte[] Frame(ReadOnlySpan<byte> body)
    {
        var bytes = new byte[ManifestCodec.MinLength + body.Length];
        "SDBM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), ManifestCodec.FormatVersion);
        body.CopyTo(bytes.AsSpan(6));
        Reseal(bytes);
        return bytes;
    }

    private static void Reseal(byte[] bytes)
        => BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32C.Compute(bytes.AsSpan(0, bytes.Length - 4)));
}
