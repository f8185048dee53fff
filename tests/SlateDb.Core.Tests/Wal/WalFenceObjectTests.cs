using SlateDb.Format;
using SlateDb.Wal;
using Xunit;

namespace SlateDb.Core.Tests.Wal;

public sealed class WalFenceObjectTests
{
    private const string Path = "db/wal/00000000000000000007.sst";

    [Theory]
    [InlineData(1UL)]
    [InlineData(ulong.MaxValue)]
    public void A_fence_records_its_writer_epoch(ulong epoch)
    {
        var fence = WalFenceObject.Encode(epoch);

        Assert.Equal(WalFenceObject.Length, fence.Length);
        Assert.Equal("SDBF"u8.ToArray(), fence[..4]);
        Assert.Equal(epoch, WalFenceObject.Decode(fence, Path));
        Assert.True(WalFenceObject.Length < SstFormat.FooterLength, "a WAL SST must never be fence-sized");
    }

    [Theory]
    [InlineData(0, "magic")]
    [InlineData(4, "checksum")]
    [InlineData(9, "checksum")]
    [InlineData(15, "checksum")]
    public void Any_flipped_byte_is_corruption_naming_the_object(int offset, string part)
    {
        var fence = WalFenceObject.Encode(3);
        fence[offset] ^= 0x10;

        var e = Assert.Throws<CorruptionException>(() => WalFenceObject.Decode(fence, Path));
        Assert.Equal(Path, e.ObjectPath);
        Assert.Contains(part, e.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    [InlineData(19)]
    public void An_object_of_another_length_is_not_a_fence(int length)
    {
        var e = Assert.Throws<CorruptionException>(() => WalFenceObject.Decode(new byte[length], Path));
        Assert.Contains($"{WalFenceObject.Length} bytes", e.Detail, StringComparison.Ordinal);
    }
}
