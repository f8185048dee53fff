using SlateDb.Infrastructure;
using SlateDb.Layout;
using Xunit;

namespace SlateDb.Core.Tests.Layout;

public class DbPathsTests
{
    private readonly DbPaths _paths = new("tenants/a/orders");

    [Fact]
    public void Paths_follow_the_object_layout()
    {
        var ulid = Ulid.Parse("01ARZ3NDEKTSV4RRFFQ69G5FAV");

        Assert.Equal("tenants/a/orders/manifest/00000000000000000001.manifest", _paths.ManifestPath(1));
        Assert.Equal("tenants/a/orders/wal/00000000000000000042.sst", _paths.WalSstPath(42));
        Assert.Equal("tenants/a/orders/compactions/00000000000000000003.compactions", _paths.CompactionsPath(3));
        Assert.Equal("tenants/a/orders/compacted/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst", _paths.CompactedSstPath(ulid));
        Assert.Equal("tenants/a/orders/manifest/", _paths.ManifestPrefix);
        Assert.Equal("tenants/a/orders/wal/", _paths.WalPrefix);
        Assert.Equal("tenants/a/orders/compacted/", _paths.CompactedPrefix);
        Assert.Equal("tenants/a/orders/gc/manifest.boundary", _paths.ManifestGcBoundaryPath);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(99UL)]
    [InlineData(ulong.MaxValue)]
    public void Sequential_ids_round_trip(ulong id)
    {
        Assert.True(_paths.TryParseManifestId(_paths.ManifestPath(id), out var manifest) && manifest == id);
        Assert.True(_paths.TryParseWalId(_paths.WalSstPath(id), out var wal) && wal == id);
        Assert.True(_paths.TryParseCompactionsId(_paths.CompactionsPath(id), out var compactions) && compactions == id);
        Assert.False(_paths.TryParseWalId(_paths.ManifestPath(id), out _));
        Assert.False(_paths.TryParseManifestId(_paths.WalSstPath(id), out _));
    }

    [Fact]
    public void Ordinal_order_of_paths_is_id_order()
    {
        ulong[] ids = [1, 9, 10, 11, 99, 100, 12345678901234567890];

        var sorted = ids.Select(_paths.WalSstPath).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(ids.Select(_paths.WalSstPath), sorted);
    }

    [Fact]
    public void Compacted_ids_round_trip()
    {
        var random = new DbRandom(4);
        for (var i = 0; i < 100; i++)
        {
            var ulid = random.NextUlid(random.NextInt64(0, Ulid.MaxTimestampMs));
            Assert.True(_paths.TryParseCompactedId(_paths.CompactedSstPath(ulid), out var parsed) && parsed == ulid, $"seed 4, #{i}");
        }
    }

    [Theory]
    [InlineData("tenants/a/orders/wal/42.sst")]
    [InlineData("tenants/a/orders/wal/000000000000000000042.sst")]
    [InlineData("tenants/a/orders/wal/0000000000000000004x.sst")]
    [InlineData("tenants/a/orders/wal/-0000000000000000042.sst")]
    [InlineData("tenants/a/orders/wal/ 0000000000000000042.sst")]
    [InlineData("tenants/a/orders/wal/00000000000000000042.sst.tmp")]
    [InlineData("tenants/a/orders/wal/00000000000000000042.SST")]
    [InlineData("tenants/a/orders/wal/x/00000000000000000042.sst")]
    [InlineData("tenants/a/orders/wal/99999999999999999999.sst")]
    [InlineData("tenants/a/orders/wal/.sst")]
    [InlineData("tenants/a/orders/wal.sst")]
    [InlineData("tenants/a/other/wal/00000000000000000042.sst")]
    [InlineData("tenants/a/orders/compacted/00000000000000000042.sst")]
    public void Unparseable_wal_names_are_not_ids(string path)
    {
        Assert.False(_paths.TryParseWalId(path, out _));
    }

    [Theory]
    [InlineData("tenants/a/orders/compacted/01arz3ndektsv4rrffq69g5fav.sst")]
    [InlineData("tenants/a/orders/compacted/01ARZ3NDEKTSV4RRFFQ69G5FA.sst")]
    [InlineData("tenants/a/orders/compacted/81ARZ3NDEKTSV4RRFFQ69G5FAV.sst")]
    [InlineData("tenants/a/orders/compacted/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst.part")]
    [InlineData("tenants/a/orders/compacted/x/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst")]
    [InlineData("tenants/a/orders/wal/01ARZ3NDEKTSV4RRFFQ69G5FAV.sst")]
    public void Unparseable_compacted_names_are_not_ids(string path)
    {
        Assert.False(_paths.TryParseCompactedId(path, out _));
    }

    [Theory]
    [InlineData("orders")]
    [InlineData("a/b")]
    [InlineData("a.b/c-d_e")]
    public void Valid_database_paths_are_accepted(string path)
    {
        Assert.Equal(path, new DbPaths(path).Root);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/orders", "leading")]
    [InlineData("orders/", "end with")]
    [InlineData("a//b", "segments")]
    [InlineData("a/../b", "segments")]
    [InlineData("..", "segments")]
    [InlineData("./a", "segments")]
    [InlineData("a\\b", "'\\'")]
    public void Invalid_database_paths_are_rejected_naming_the_path_and_the_rule(string path, string rule)
    {
        var e = Assert.Throws<ArgumentException>(() => new DbPaths(path));

        Assert.Contains($"'{path}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(rule, e.Message, StringComparison.Ordinal);
        Assert.Equal("dbPath", e.ParamName);
    }

    [Fact]
    public void A_null_database_path_is_rejected()
    {
        Assert.Throws<ArgumentNullException>(() => new DbPaths(null!));
    }
}
