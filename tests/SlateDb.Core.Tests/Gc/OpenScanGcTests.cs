using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Gc.GcKit;

namespace SlateDb.Core.Tests.Gc;

/// <summary>The collector of a database never deletes an SST under one of its open scans.</summary>
public sealed class OpenScanGcTests
{
    [Fact]
    public async Task A_scan_held_open_across_a_manifest_change_and_a_collection_completes_with_the_right_rows()
    {
        var time = Clock();
        var store = new InMemoryObjectStore(null, time);
        var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Gc = null }, time);
        for (var i = 0; i < 200; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        await db.FlushAsync(FlushType.MemTable);
        time.Advance(TimeSpan.FromSeconds(1));
        await using var scan = db.ScanAsync(KeyRange.All);
        var first = await scan.NextAsync();
        var oldPath = await RewriteL0Async(db, store, time);
        time.Advance(TimeSpan.FromSeconds(1));

        var collector = db.Engine.CreateCollector();
        var during = await collector.RunAsync(NoMinAge, default);

        Assert.Equal(0, during.DeletedSsts);
        Assert.True(await ExistsAsync(store, oldPath));
        var rows = new List<KeyValue> { first!.Value };
        while (await scan.NextAsync() is { } row)
        {
            rows.Add(row);
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(i => Convert.ToHexString(K(i))), rows.Select(r => Convert.ToHexString(r.Key.Span)));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => Convert.ToHexString(V(i))), rows.Select(r => Convert.ToHexString(r.Value.Span)));

        // Once the scan is gone, the old SST is collected, and reads use the rewritten one.
        await scan.DisposeAsync();
        Assert.Equal(0, db.Engine.Pins.Count);
        var after = await collector.RunAsync(NoMinAge, default);
        Assert.Equal(1, after.DeletedSsts);
        Assert.False(await ExistsAsync(store, oldPath));
        Assert.Equal(V(7), await db.GetAsync(K(7)));
        await db.CloseAsync();
    }

    [Fact]
    public async Task A_scan_created_but_not_yet_started_pins_its_snapshot_too()
    {
        var time = Clock();
        var store = new InMemoryObjectStore(null, time);
        var db = await OpenAsync(store, new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Gc = null }, time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        time.Advance(TimeSpan.FromSeconds(1));
        await using var scan = db.ScanAsync(KeyRange.All);
        await RewriteL0Async(db, store, time);
        time.Advance(TimeSpan.FromSeconds(1));

        await db.Engine.CreateCollector().RunAsync(NoMinAge, default);

        var row = await scan.NextAsync();
        Assert.Equal(V(1), row!.Value.Value.ToArray());
        await db.CloseAsync();
    }
}
