using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>SST metadata stays within Settings.MetadataCacheBytes while reads over many SSTs stay correct.</summary>
public sealed class MetadataCacheTests
{
    [Fact]
    public async Task Gets_and_scans_over_many_SSTs_stay_correct_with_the_metadata_within_a_small_budget()
    {
        const long Budget = 4096;
        var store = new InMemoryObjectStore();
        var settings = Small(compactor: null);
        settings.MetadataCacheBytes = Budget;
        settings.Gc = null;
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(store, settings);
        for (var version = 1; version <= 3; version++)
        {
            await WriteAsync(db, model, 0, 300, version, flushEvery: 20);
        }

        Assert.True(db.Engine.State.Current.L0.Length >= 40, $"{db.Engine.State.Current.L0.Length} L0 SSTs");
        var tables = db.Engine.Tables;

        // A scan opened first and held across everything below.
        await using var held = db.ScanAsync(KeyRange.All);
        var firstRow = await held.NextAsync();

        var random = new Random(11);
        for (var i = 0; i < 400; i++)
        {
            var key = random.Next(300);
            Assert.Equal(model[key], await db.GetAsync(K(key)));
            Assert.True(tables.MetadataBytes <= Budget, $"{tables.MetadataBytes} metadata bytes cached after get {i}, budget {Budget}");
        }

        await AssertMatchesAsync(db, model);
        Assert.True(tables.MetadataBytes <= Budget, $"{tables.MetadataBytes} metadata bytes cached after a full scan, budget {Budget}");
        Assert.True(tables.Evictions > 0, "nothing was evicted");

        var rest = new List<KeyValue> { firstRow!.Value };
        while (await held.NextAsync() is { } row)
        {
            rest.Add(row);
        }

        var expected = model.Where(e => e.Value is not null).OrderBy(e => e.Key).ToList();
        Assert.Equal(expected.Select(e => Convert.ToHexString(K(e.Key))), rest.Select(r => Convert.ToHexString(r.Key.Span)));
        Assert.Equal(expected.Select(e => Convert.ToHexString(e.Value!)), rest.Select(r => Convert.ToHexString(r.Value.Span)));
    }
}
