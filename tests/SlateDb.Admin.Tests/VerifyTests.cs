using Microsoft.Extensions.Time.Testing;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Admin.Tests.AdminKit;

namespace SlateDb.Admin.Tests;

/// <summary>DbAdmin.VerifyAsync: what it checks, how it reports problems, and that it keeps going after one.</summary>
public sealed class VerifyTests
{
    [Fact]
    public async Task A_healthy_database_verifies_every_sst_and_wal_object_with_progress_in_objects_and_bytes()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var (db, manifest) = await BuildAsync(store, time);
        await using var _ = db;
        var progress = new ProgressLog<VerifyProgress>();

        var report = await AdminOf(store, time).VerifyAsync(progress: progress);

        Assert.True(report.IsHealthy, string.Join("; ", report.Problems));
        Assert.Empty(report.Problems);
        Assert.Equal(manifest.Id, report.ManifestId);
        Assert.Equal(5, report.ObjectsChecked);
        var bytes = manifest.L0.Sum(s => (long)s.Size);
        for (var id = manifest.ReplayAfterWalId + 1; id < manifest.NextWalSstId; id++)
        {
            bytes += (await store.HeadAsync(Paths.WalSstPath(id))).Size;
        }

        Assert.Equal(bytes, report.BytesRead);
        var reports = progress.Reports;
        Assert.Equal(Enumerable.Range(1, 5).Select(i => (long)i), reports.Select(r => r.ObjectsChecked));
        Assert.All(reports, r => Assert.Equal(5, r.ObjectsTotal));
        Assert.Equal(bytes, reports[^1].BytesRead);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.BytesRead <= p.Second.BytesRead));
    }

    [Fact]
    public async Task A_fence_in_the_wal_range_is_a_valid_object_and_a_damaged_or_empty_one_is_a_problem()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using (var first = await OpenAsync(store, time))
        {
            await first.PutAsync(K(1), V(1), NoWait);
        }

        await using var db = await OpenAsync(store, time);
        await PutToWalAsync(db, 2);
        var admin = AdminOf(store, time);
        await admin.CreateCheckpointAsync();
        var manifest = await admin.ReadManifestAsync();
        var wal = await WalObjectsAsync(store);
        var fence = wal.Single(w => w.Id == manifest.ReplayAfterWalId + 1);
        Assert.True(fence.Size < 64, $"WAL id {fence.Id} is {fence.Size} bytes, not a fence");
        Assert.Equal(2UL, manifest.NextWalSstId - 1 - manifest.ReplayAfterWalId);

        var report = await admin.VerifyAsync();

        Assert.True(report.IsHealthy, string.Join("; ", report.Problems));
        Assert.Equal(manifest.L0.Count + 2, report.ObjectsChecked);

        var fencePath = Paths.WalSstPath(fence.Id);
        await FlipByteAsync(store, fencePath, 8);
        var flipped = Assert.Single((await admin.VerifyAsync()).Problems);
        Assert.Equal(fencePath, flipped.Path);
        Assert.Contains("fence", flipped.Message, StringComparison.Ordinal);

        await store.PutAsync(fencePath, ReadOnlyMemory<byte>.Empty, PutMode.Overwrite);
        var emptied = Assert.Single((await admin.VerifyAsync()).Problems);
        Assert.Equal(fencePath, emptied.Path);
        Assert.Contains("zero bytes", emptied.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_deleted_sst_is_reported_by_path()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var (db, manifest) = await BuildAsync(store, time);
        await using var _ = db;
        var sst = SstPath(manifest.L0[0]);
        await store.DeleteAsync(sst);

        var report = await AdminOf(store, time).VerifyAsync();

        var problem = Assert.Single(report.Problems);
        Assert.Equal(sst, problem.Path);
        Assert.Contains("missing", problem.Message, StringComparison.Ordinal);
        Assert.Contains("L0", problem.Message, StringComparison.Ordinal);
        Assert.False(report.IsHealthy);
        Assert.Equal(5, report.ObjectsChecked);
    }

    [Fact]
    public async Task A_deleted_wal_object_inside_the_range_is_reported_by_path()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var (db, manifest) = await BuildAsync(store, time);
        await using var _ = db;
        var middle = Paths.WalSstPath(manifest.ReplayAfterWalId + 2);
        await store.DeleteAsync(middle);

        var report = await AdminOf(store, time).VerifyAsync();

        var problem = Assert.Single(report.Problems);
        Assert.Equal(middle, problem.Path);
        Assert.Contains("missing", problem.Message, StringComparison.Ordinal);
        Assert.Contains(store.Uri, problem.Message, StringComparison.Ordinal);
        Assert.Equal(5, report.ObjectsChecked);
    }

    [Fact]
    public async Task A_flipped_byte_in_an_sst_is_reported_by_path()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var (db, manifest) = await BuildAsync(store, time);
        await using var _ = db;
        var sst = SstPath(manifest.L0[1]);
        await FlipByteAsync(store, sst, 10);

        var report = await AdminOf(store, time).VerifyAsync();

        var problem = Assert.Single(report.Problems);
        Assert.Equal(sst, problem.Path);
        Assert.DoesNotContain("missing", problem.Message, StringComparison.Ordinal);
        Assert.Equal(5, report.ObjectsChecked);
    }

    [Fact]
    public async Task Every_problem_is_collected_in_one_report_in_manifest_order()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var (db, manifest) = await BuildAsync(store, time);
        await using var _ = db;
        var deletedSst = SstPath(manifest.L0[0]);
        var flippedSst = SstPath(manifest.L0[1]);
        var deletedWal = Paths.WalSstPath(manifest.ReplayAfterWalId + 2);
        await store.DeleteAsync(deletedSst);
        await FlipByteAsync(store, flippedSst, 10);
        await store.DeleteAsync(deletedWal);

        var report = await AdminOf(store, time).VerifyAsync();

        Assert.Equal([deletedSst, flippedSst, deletedWal], report.Problems.Select(p => p.Path));
        Assert.Equal(5, report.ObjectsChecked);
        Assert.False(report.IsHealthy);
    }

    [Fact]
    public async Task A_checkpoint_is_verified_against_the_manifest_it_pins()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time);
        await PutToWalAsync(db, 1);
        await PutToWalAsync(db, 2);
        var admin = AdminOf(store, time);
        var cp = await admin.CreateCheckpointAsync();
        var pinned = await admin.ReadManifestAsync(cp.ManifestId);
        await db.FlushAsync(FlushType.MemTable);
        var latest = await admin.ReadManifestAsync();
        Assert.NotEqual(pinned.Id, latest.Id);
        var pinnedWal = (long)(pinned.NextWalSstId - 1 - pinned.ReplayAfterWalId);
        Assert.True(pinnedWal >= 2);
        var deleted = Paths.WalSstPath(pinned.NextWalSstId - 1);
        await store.DeleteAsync(deleted);

        var ofCheckpoint = await admin.VerifyAsync(cp.Id);
        Assert.Equal(cp.ManifestId, ofCheckpoint.ManifestId);
        Assert.Equal(pinned.L0.Count + pinnedWal, ofCheckpoint.ObjectsChecked);
        Assert.Equal(deleted, Assert.Single(ofCheckpoint.Problems).Path);

        var ofLatest = await admin.VerifyAsync();
        Assert.True(ofLatest.IsHealthy, string.Join("; ", ofLatest.Problems));
        Assert.Equal(latest.Id, ofLatest.ManifestId);
        Assert.Equal(latest.L0.Count + (long)(latest.NextWalSstId - 1 - latest.ReplayAfterWalId), ofLatest.ObjectsChecked);
    }

    [Fact]
    public async Task A_checkpoint_whose_pinned_manifest_is_gone_is_a_problem_naming_that_manifest()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time);
        var admin = AdminOf(store, time);
        var cp = await admin.CreateCheckpointAsync();
        await db.FlushAsync(FlushType.MemTable);
        await admin.CreateCheckpointAsync();
        await store.DeleteAsync(Paths.ManifestPath(cp.ManifestId));

        var report = await admin.VerifyAsync(cp.Id);

        Assert.Equal(Paths.ManifestPath(cp.ManifestId), Assert.Single(report.Problems).Path);
        Assert.Contains(cp.Id.ToString(), report.Problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task External_ssts_are_verified_under_their_parents_path()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using (var parent = await OpenAsync(store, time, path: "parent"))
        {
            await parent.PutAsync(K(1), V(1), NoWait);
            await parent.FlushAsync(FlushType.MemTable);
        }

        var child = (await LatestAsync(store, "parent")).Value.Clone();
        child.Checkpoints.Clear();
        child.ReplayAfterWalId = child.NextWalSstId - 1;
        child.ExternalDbs.Add(new ExternalDb { Path = "parent", SourceCheckpointId = Uuid.FromGuid(Guid.NewGuid()), SstIds = { child.L0[0].Id } });
        await new ManifestStore(store, "child").CreateOrReadLatestAsync(child);
        var admin = AdminOf(store, time, path: "child");
        var parentSst = $"parent/compacted/{child.L0[0].Id.ToUlid()}.sst";

        var healthy = await admin.VerifyAsync();
        Assert.True(healthy.IsHealthy, string.Join("; ", healthy.Problems));
        Assert.Equal(1, healthy.ObjectsChecked);
        Assert.Equal(parentSst, Assert.Single((await admin.ReadManifestAsync()).ExternalDbs).SstIds.Select(id => $"parent/compacted/{id}.sst").Single());

        await store.DeleteAsync(parentSst);
        Assert.Equal(parentSst, Assert.Single((await admin.VerifyAsync()).Problems).Path);
    }

    [Fact]
    public async Task A_writer_running_during_verification_does_not_break_it()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(store, time);
        var admin = AdminOf(store, time);
        using var stop = new CancellationTokenSource();
        var writes = 0;
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await PutToWalAsync(db, i);
                if (i % 4 == 3)
                {
                    await db.FlushAsync(FlushType.MemTable);
                }

                Interlocked.Increment(ref writes);
            }
        });

        var checkedObjects = 0L;
        for (var round = 0; round < 6; round++)
        {
            var cp = await admin.CreateCheckpointAsync(new CheckpointOptions { Lifetime = TimeSpan.FromMinutes(5) });
            var ofLatest = await admin.VerifyAsync();
            var ofCheckpoint = await admin.VerifyAsync(cp.Id);
            Assert.True(ofLatest.IsHealthy, string.Join("; ", ofLatest.Problems));
            Assert.True(ofCheckpoint.IsHealthy, string.Join("; ", ofCheckpoint.Problems));
            checkedObjects += ofCheckpoint.ObjectsChecked;
        }

        await stop.CancelAsync();
        await writer;
        Assert.True(checkedObjects > 0);
        Assert.True(Volatile.Read(ref writes) > 0);
        Assert.True((await admin.VerifyAsync()).IsHealthy);
    }

    // Two L0 SSTs (keys 1 and 2), then three WAL objects (keys 3, 4, 5) in the latest manifest's replay range (an admin
    // checkpoint records them there); the writer stays open.
    private static async Task<(SlateDb.Db Db, Manifest Manifest)> BuildAsync(IObjectStore store, FakeTimeProvider time)
    {
        var db = await OpenAsync(store, time);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.PutAsync(K(2), V(2), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        for (var i = 3; i <= 5; i++)
        {
            await PutToWalAsync(db, i);
        }

        var admin = AdminOf(store, time);
        await admin.CreateCheckpointAsync();
        var manifest = await admin.ReadManifestAsync();
        Assert.Equal(2, manifest.L0.Count);
        Assert.Equal(3UL, manifest.NextWalSstId - 1 - manifest.ReplayAfterWalId);
        return (db, manifest);
    }

    private static string SstPath(ManifestSst sst) => $"{Paths.CompactedPrefix}{sst.Id}.sst";
}
