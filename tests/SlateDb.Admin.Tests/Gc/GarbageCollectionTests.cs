using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.Admin.Tests.Gc;

/// <summary>What DbAdmin.RunGarbageCollectionAsync deletes and, above all, what it keeps.</summary>
public sealed class GarbageCollectionTests
{
    private const string Db = "orders";
    private static readonly DbPaths Paths = new(Db);
    private static readonly GcOptions FiveMinutes = new() { MinAge = TimeSpan.FromMinutes(5) };

    // Manifests 1..7 of one database: three generations of L0 (s1 → s2 → s3, as compaction rewrites them), WAL ids 1..6
    // (1 a fence), an expiring checkpoint A on manifest 3 and a permanent checkpoint B on manifest 5, then 20 minutes.
    private sealed record History(GcScenario Scenario, SstHandle S1, SstHandle S2, SstHandle S3, SstHandle Orphan, Guid A, Guid B);

    private static async Task<History> HistoryAsync(bool separateWal = false)
    {
        var s = new GcScenario(separateWal);
        var orphan = await s.PutSstAsync(Db);
        await s.WriteAsync(Db, (ManifestData _) => { });
        s.Time.Advance(TimeSpan.FromSeconds(10));
        var s1 = await s.PutSstAsync(Db);
        await s.PutWalAsync(Db, 1, fence: true);
        await s.PutWalAsync(Db, 2);
        await s.PutWalAsync(Db, 3);
        await s.WriteAsync(Db, (ManifestData m) =>
        {
            m.L0.Add(s1);
            m.NextWalSstId = 4;
        });
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var a = Guid.NewGuid();
        await s.CheckpointAsync(Db, a, TimeSpan.FromMinutes(10));
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var s2 = await s.PutSstAsync(Db);
        await s.PutWalAsync(Db, 4);
        await s.PutWalAsync(Db, 5);
        await s.WriteAsync(Db, (ManifestData m) =>
        {
            m.L0.Clear();
            m.L0.Add(s2);
            m.ReplayAfterWalId = 3;
            m.NextWalSstId = 6;
        });
        var b = Guid.NewGuid();
        await s.CheckpointAsync(Db, b, lifetime: null);
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var s3 = await s.PutSstAsync(Db);
        await s.PutWalAsync(Db, 6);
        await s.WriteAsync(Db, (ManifestData m) =>
        {
            m.L0.Clear();
            m.L0.Add(s3);
            m.ReplayAfterWalId = 5;
            m.NextWalSstId = 7;
        });
        s.Time.Advance(TimeSpan.FromMinutes(20));
        return new History(s, s1, s2, s3, orphan, a, b);
    }

    [Fact]
    public async Task Expired_checkpoints_go_first_then_everything_only_they_pinned_while_the_latest_and_live_checkpoints_keep_theirs()
    {
        var h = await HistoryAsync();
        var s = h.Scenario;

        var result = await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes);

        Assert.Equal(new GcResult { DeletedCheckpoints = 1, DeletedManifests = 4, DeletedWalSsts = 2, DeletedSsts = 2 }, result);
        var latest = await s.Manifests(Db).TryReadLatestAsync();
        Assert.Equal(7UL, latest!.Id);
        Assert.Equal([h.B], latest.Value.Checkpoints.Select(c => c.Id.ToGuid()));

        // Manifest 5 (checkpoint B), 6 (superseded moments ago) and 7 (latest) stay; 1..4 (3 was A's) are gone.
        Assert.Equal([5UL, 6UL, 7UL], await s.Manifests(Db).ListIdsAsync().ToListAsync());
        Assert.Equal(4UL, await s.Manifests(Db).ReadGcBoundaryAsync());

        // WAL: the fence stays; 2 and 3 are below every range; 4 and 5 are in B's (3, 6); 5 and 6 in the latest's [5, ∞).
        Assert.Equal([1UL, 4UL, 5UL, 6UL], await WalIdsAsync(s.Store));

        // SSTs: s2 is B's, s3 the latest's; s1 (only A's) and the never-referenced orphan are gone.
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Db, h.S1)));
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Db, h.Orphan)));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, h.S2)));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, h.S3)));

        // A second run finds nothing more.
        Assert.Equal(new GcResult(), await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes));
    }

    [Fact]
    public async Task A_dry_run_deletes_and_writes_nothing_and_reports_what_the_real_run_then_deletes()
    {
        var h = await HistoryAsync();
        var s = h.Scenario;
        var before = await s.EverythingAsync();

        var dry = await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = FiveMinutes.MinAge, DryRun = true });

        Assert.Equal(before, await s.EverythingAsync());
        var real = await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes);
        Assert.Equal(real, dry);
        Assert.NotEqual(new GcResult(), real);
    }

    [Fact]
    public async Task Nothing_younger_than_MinAge_is_deleted()
    {
        var h = await HistoryAsync();
        var s = h.Scenario;

        // Everything was written within the last 24 minutes: a 30-minute MinAge deletes no object (the expired
        // checkpoint is still removed: expiry is its own clock).
        var young = await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.FromMinutes(30) });
        Assert.Equal(new GcResult { DeletedCheckpoints = 1 }, young);

        s.Time.Advance(TimeSpan.FromMinutes(10));
        var older = await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.FromMinutes(30) });
        Assert.Equal(new GcResult { DeletedManifests = 4, DeletedWalSsts = 2, DeletedSsts = 2 }, older);
    }

    [Fact]
    public async Task A_manifest_superseded_within_MinAge_keeps_its_SSTs_for_readers_elsewhere()
    {
        var s = new GcScenario();
        var old = await s.PutSstAsync(Db);
        await s.WriteAsync(Db, (ManifestData m) => m.L0.Add(old));
        s.Time.Advance(TimeSpan.FromHours(1));
        var rewritten = await s.PutSstAsync(Db);
        await s.WriteAsync(Db, (ManifestData m) =>
        {
            m.L0.Clear();
            m.L0.Add(rewritten);
        });

        // The old SST is an hour old, but the manifest naming it was the latest a moment ago.
        s.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new GcResult(), await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, old)));

        s.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(new GcResult { DeletedManifests = 1, DeletedSsts = 1 }, await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes));
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Db, old)));
    }

    [Fact]
    public async Task Outputs_of_a_running_compaction_job_are_spared_until_the_job_is_gone()
    {
        var s = new GcScenario();
        var before = await s.PutSstAsync(Db);
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var states = new SequencedObjectStore<CompactionsState>(
            s.Store, Paths.CompactionsPrefix, DbPaths.CompactionsExtension, CompactionsCodec.Instance, null, "test state");
        var job = new CompactionJob { Id = SstId.FromUlid(s.Random.NextUlid(s.Time.GetUtcNow().ToUnixTimeMilliseconds())) };
        var running = new CompactionsState();
        running.Jobs.Add(job);
        await states.CreateOrReadLatestAsync(running);
        var output = await s.PutSstAsync(Db);
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var l0 = await s.PutSstAsync(Db);
        await s.WriteAsync(Db, (ManifestData m) => m.L0.Add(l0));
        s.Time.Advance(TimeSpan.FromHours(1));

        // The output is an hour old and unreferenced, but its job has not published it.
        var first = await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes);
        Assert.Equal(1, first.DeletedSsts);
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Db, before)));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, output)));

        // The job was abandoned: its output is garbage now.
        await states.UpdateAsync(null, v =>
        {
            v.Value.Jobs.Clear();
            return v.Value;
        });
        var second = await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes);
        Assert.Equal(1, second.DeletedSsts);
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Db, output)));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, l0)));
    }

    [Fact]
    public async Task Manifests_younger_than_a_minute_are_spared_even_with_no_MinAge()
    {
        var s = new GcScenario();
        await s.WriteAsync(Db, (ManifestData _) => { });
        await s.WriteAsync(Db, (ManifestData _) => { });
        s.Time.Advance(TimeSpan.FromSeconds(59));

        // A writer chaining its own manifest updates skips the GC-boundary read for this long (the register's floor).
        Assert.Equal(new GcResult(), await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.Zero }));

        s.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(new GcResult { DeletedManifests = 1 }, await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.Zero }));
    }

    [Fact]
    public async Task Uploads_newer_than_the_newest_published_L0_are_spared_even_with_no_MinAge()
    {
        var s = new GcScenario();
        var published = await s.PutSstAsync(Db);
        await s.WriteAsync(Db, (ManifestData m) => m.L0.Add(published));
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var pending = await s.PutSstAsync(Db);
        s.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(new GcResult(), await s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.Zero }));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Db, pending)));
    }

    [Fact]
    public async Task A_checkpoint_pinning_a_missing_manifest_stops_the_run_before_anything_is_deleted()
    {
        var h = await HistoryAsync();
        var s = h.Scenario;
        await s.Store.DeleteAsync(Paths.ManifestPath(5));
        var before = await s.EverythingAsync();

        var e = await Assert.ThrowsAsync<SlateDbException>(() => s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes));

        Assert.Equal(SlateDbErrorKind.Data, e.Kind);
        Assert.Contains(h.B.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(Paths.ManifestPath(5), e.Message, StringComparison.Ordinal);

        // Only the expired checkpoint's removal (a new manifest) happened.
        var after = await s.EverythingAsync();
        Assert.Equal([Paths.ManifestPath(7)], after.Except(before));
        Assert.Empty(before.Except(after));
    }

    [Fact]
    public async Task With_a_separate_WAL_store_WAL_objects_are_collected_there()
    {
        var h = await HistoryAsync(separateWal: true);
        var s = h.Scenario;
        var wal = s.WalStore!;

        var result = await s.Admin(Db).RunGarbageCollectionAsync(FiveMinutes);

        Assert.Equal(2, result.DeletedWalSsts);
        Assert.Equal([1UL, 4UL, 5UL, 6UL], await WalIdsAsync(wal));
        Assert.Empty(await s.ListAsync(Paths.WalPrefix));
    }

    [Fact]
    public async Task A_negative_MinAge_is_rejected()
    {
        var s = new GcScenario();
        await s.WriteAsync(Db, (ManifestData _) => { });
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => s.Admin(Db).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("MinAge", e.Message, StringComparison.Ordinal);
    }

    private static async Task<List<ulong>> WalIdsAsync(InMemoryObjectStore store)
    {
        var ids = new List<ulong>();
        await foreach (var meta in store.ListAsync(Paths.WalPrefix))
        {
            if (Paths.TryParseWalId(meta.Path, out var id))
            {
                ids.Add(id);
            }
        }

        return ids;
    }
}
