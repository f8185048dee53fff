using SlateDb.Compaction;
using SlateDb.Layout;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Gc;

/// <summary>The collector deletes old compactor state versions, so a database whose data stops changing stops growing.</summary>
public sealed class CompactorStateGcTests
{
    private static readonly DbPaths Paths = new(DbPath);
    private static readonly GcOptions FiveMinutes = new() { MinAge = TimeSpan.FromMinutes(5) };

    private static Settings Compacting()
    {
        var settings = Small(Policy());
        settings.Gc = null;
        return settings;
    }

    // A database that took writes and compacted them, closed: many compactor state versions (two per job, one per claim).
    private static async Task<(InMemoryObjectStore Store, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time)> CompactedAsync()
    {
        var time = Clock();
        var store = new InMemoryObjectStore(null, time);
        var model = new Dictionary<int, byte[]?>();
        await using (var db = await OpenAsync(store, Compacting(), time))
        {
            for (var version = 1; version <= 3; version++)
            {
                await WriteAsync(db, model, 0, 100, version);
            }

            await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        }

        return (store, time);
    }

    private static async Task<List<ulong>> StateIdsAsync(IObjectStore store)
        => [.. (await ListAsync(store, Paths.CompactionsPrefix)).Select(m => Paths.TryParseCompactionsId(m.Path, out var id) ? id : 0)];

    [Fact]
    public async Task Every_compactor_state_but_the_latest_is_deleted_once_older_than_MinAge_and_a_dry_run_only_counts_them()
    {
        var (store, time) = await CompactedAsync();
        var ids = await StateIdsAsync(store);
        Assert.True(ids.Count > 3, $"only {ids.Count} compactor states were written");
        await using var db = await OpenAsync(store, Compacting(), time);
        var latest = (await StateIdsAsync(store)).Max();
        var collector = db.Engine.CreateCollector();

        // Everything is younger than MinAge.
        Assert.Equal(0, (await collector.RunAsync(FiveMinutes, default)).DeletedCompactorStates);

        time.Advance(TimeSpan.FromMinutes(6));
        var before = await ListAsync(store, "");
        var dry = await collector.RunAsync(new GcOptions { MinAge = FiveMinutes.MinAge, DryRun = true }, default);
        Assert.Equal(before.Select(m => m.Path), (await ListAsync(store, "")).Select(m => m.Path));
        Assert.Equal(ids.Count, dry.DeletedCompactorStates);

        var real = await collector.RunAsync(FiveMinutes, default);
        Assert.Equal(dry, real);
        Assert.Equal([latest], await StateIdsAsync(store));
        Assert.Equal(latest - 1, await CompactionJobRegistry.OpenStates(store, Paths, time).ReadGcBoundaryAsync());
        Assert.Equal(0, (await collector.RunAsync(FiveMinutes, default)).DeletedCompactorStates);
    }

    [Fact]
    public async Task A_stalled_compactor_that_recreates_a_collected_state_version_sees_a_conflict()
    {
        var (store, time) = await CompactedAsync();
        var states = CompactionJobRegistry.OpenStates(store, Paths, time);
        var stale = await states.ReadAsync(1);
        await using var db = await OpenAsync(store, Compacting(), time);
        time.Advance(TimeSpan.FromMinutes(6));
        Assert.True((await db.Engine.CreateCollector().RunAsync(FiveMinutes, default)).DeletedCompactorStates > 1);

        // Version 2 was collected: writing it again lands, but lies below the boundary, so it is no version of the lineage.
        Assert.Null(await states.TryWriteNextAsync(stale, stale.Value.Clone()));
    }

    [Fact]
    public async Task Once_data_stops_changing_collection_keeps_the_store_from_growing_across_reopens()
    {
        var (store, time) = await CompactedAsync();
        var counts = new List<(int All, int Fences)>();
        for (var cycle = 0; cycle < 6; cycle++)
        {
            await using (var db = await OpenAsync(store, Compacting(), time))
            {
                time.Advance(TimeSpan.FromMinutes(6));
                var collector = db.Engine.CreateCollector();
                await collector.RunAsync(FiveMinutes, default);
                Assert.Equal(new GcResult(), await collector.RunAsync(FiveMinutes, default));
            }

            var all = await ListAsync(store, "");
            var fences = (await WalObjectsAsync(store)).Count(w => w.Size <= SlateDb.Wal.WalFenceObject.Length);
            counts.Add((all.Count, fences));
        }

        // Every open claims a writer and a compactor epoch (two manifests, a compactor state) and fences the WAL. The
        // collector takes the manifests and states back; WAL fences are kept for ever by design (one small object per
        // open). Apart from them, the store holds the same number of objects after every cycle.
        var settled = counts.Skip(1).Select(c => c.All - c.Fences).Distinct().ToList();
        Assert.Single(settled);
        for (var i = 1; i < counts.Count; i++)
        {
            Assert.Equal(counts[i - 1].Fences + 1, counts[i].Fences);
        }

        Assert.Single(await StateIdsAsync(store));
    }
}
