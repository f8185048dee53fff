using SlateDb.Checkpoints;
using SlateDb.Infrastructure;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using Xunit;

namespace SlateDb.Admin.Tests.Gc;

/// <summary>Garbage collection of clones and their parents: parent SSTs stay while any clone reads them; detach.</summary>
public sealed class CloneGcTests
{
    private const string Parent = "parent";
    private const string Child = "child";
    private const string Grandchild = "grandchild";
    private static readonly GcOptions NoMinAge = new() { MinAge = TimeSpan.Zero };

    [Fact]
    public async Task No_collector_of_a_clone_of_a_clone_or_of_their_parents_deletes_an_SST_a_clone_still_reads()
    {
        var s = new GcScenario();
        var (p1, p2) = (await s.PutSstAsync(Parent), await s.PutSstAsync(Parent));
        await s.WriteAsync(Parent, (ManifestData m) =>
        {
            m.L0.Add(p2);
            m.L0.Add(p1);
        });
        var child = await CloneAsync(s, Parent, Child);
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var c1 = await s.PutSstAsync(Child);
        await s.WriteAsync(Child, (ManifestData m) => m.L0.Insert(0, c1));
        var grandchild = await CloneAsync(s, Child, Grandchild);

        // The parent and the child "compact" what they hold into new SSTs; the grandchild still reads everything it inherited.
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var p3 = await s.PutSstAsync(Parent);
        await s.WriteAsync(Parent, (ManifestData m) => ReplaceL0(m, p3));
        var c2 = await s.PutSstAsync(Child);
        await s.WriteAsync(Child, (ManifestData m) => ReplaceL0(m, c2));
        var g1 = await s.PutSstAsync(Grandchild);
        await s.WriteAsync(Grandchild, (ManifestData m) => m.L0.Insert(0, g1));
        s.Time.Advance(TimeSpan.FromHours(1));

        foreach (var db in new[] { Grandchild, Child, Parent, Grandchild, Child, Parent })
        {
            await s.Admin(db).RunGarbageCollectionAsync(NoMinAge);
        }

        // p1, p2 are pinned in the parent by the grandchild's final checkpoint there, and in the child's manifest the
        // grandchild's checkpoint there pins; c1 by that same checkpoint in the child.
        foreach (var (db, sst) in new[] { (Parent, p1), (Parent, p2), (Parent, p3), (Child, c1), (Child, c2), (Grandchild, g1) })
        {
            Assert.True(await s.ExistsAsync(GcScenario.SstPath(db, sst)), $"{db}: {sst.Id.ToUlid()} was deleted");
        }

        // Nobody detached: every final checkpoint is still in place (the child's manifest pinned for the grandchild reads p1, p2).
        var parent = (await s.Manifests(Parent).TryReadLatestAsync())!.Value;
        var childLatest = (await s.Manifests(Child).TryReadLatestAsync())!.Value;
        foreach (var final in child.ExternalDbs.Concat(grandchild.ExternalDbs).Where(e => e.Path == Parent))
        {
            Assert.NotNull(ManifestCheckpoints.Find(parent, final.FinalCheckpointId.ToGuid()));
        }

        Assert.NotNull(ManifestCheckpoints.Find(childLatest, grandchild.ExternalDbs.Single(e => e.Path == Child).FinalCheckpointId.ToGuid()));
        Assert.Equal(2, (await s.Manifests(Grandchild).TryReadLatestAsync())!.Value.ExternalDbs.Count);
    }

    [Fact]
    public async Task A_clone_that_no_longer_reads_its_parent_deletes_its_checkpoint_there_then_its_reference_and_the_parent_collects()
    {
        var s = new GcScenario();
        var p1 = await s.PutSstAsync(Parent);
        await s.WriteAsync(Parent, (ManifestData m) => m.L0.Add(p1));
        var child = await CloneAsync(s, Parent, Child);
        var finalId = child.ExternalDbs.Single().FinalCheckpointId.ToGuid();
        s.Time.Advance(TimeSpan.FromSeconds(1));
        var p2 = await s.PutSstAsync(Parent);
        await s.WriteAsync(Parent, (ManifestData m) => ReplaceL0(m, p2));
        s.Time.Advance(TimeSpan.FromHours(1));

        // The child still reads p1: the parent keeps it, and the child does not detach.
        Assert.Equal(0, (await s.Admin(Parent).RunGarbageCollectionAsync(NoMinAge)).DeletedSsts);
        await s.Admin(Child).RunGarbageCollectionAsync(NoMinAge);
        Assert.Single((await s.Manifests(Child).TryReadLatestAsync())!.Value.ExternalDbs);

        // The child rewrites p1 into its own SST.
        var c1 = await s.PutSstAsync(Child);
        await s.WriteAsync(Child, (ManifestData m) => ReplaceL0(m, c1));
        s.Time.Advance(TimeSpan.FromSeconds(1));
        await s.Admin(Child).RunGarbageCollectionAsync(NoMinAge);

        Assert.Empty((await s.Manifests(Child).TryReadLatestAsync())!.Value.ExternalDbs);
        var parent = (await s.Manifests(Parent).TryReadLatestAsync())!.Value;
        Assert.Null(ManifestCheckpoints.Find(parent, finalId));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Parent, p1)));

        s.Time.Advance(TimeSpan.FromSeconds(1));
        var result = await s.Admin(Parent).RunGarbageCollectionAsync(NoMinAge);
        Assert.Equal(1, result.DeletedSsts);
        Assert.False(await s.ExistsAsync(GcScenario.SstPath(Parent, p1)));
        Assert.True(await s.ExistsAsync(GcScenario.SstPath(Child, c1)));
    }

    [Fact]
    public async Task A_dry_run_does_not_detach()
    {
        var s = new GcScenario();
        var p1 = await s.PutSstAsync(Parent);
        await s.WriteAsync(Parent, (ManifestData m) => m.L0.Add(p1));
        await CloneAsync(s, Parent, Child);
        var c1 = await s.PutSstAsync(Child);
        await s.WriteAsync(Child, (ManifestData m) => ReplaceL0(m, c1));
        s.Time.Advance(TimeSpan.FromHours(1));
        var before = await s.EverythingAsync();

        await s.Admin(Child).RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.Zero, DryRun = true });

        Assert.Equal(before, await s.EverythingAsync());
    }

    private static void ReplaceL0(ManifestData m, SstHandle handle)
    {
        m.L0.Clear();
        m.L0.Add(handle);
    }

    // A finished clone made by hand: a short-lived source checkpoint and the clone's final checkpoint in the parent (and in every
    // database the parent itself reads), the clone's manifests 1 (uninitialized) and 2.
    private static async Task<ManifestData> CloneAsync(GcScenario s, string parentPath, string clonePath)
    {
        var source = Guid.NewGuid();
        var sourceManifest = await s.CheckpointAsync(parentPath, source, TimeSpan.FromMinutes(5));
        var clone = ManifestDefaults.ForClone(sourceManifest.Value, parentPath, source, Guid.NewGuid(), new DbRandom(11));
        foreach (var external in clone.ExternalDbs)
        {
            var pinned = external.Path == parentPath
                ? sourceManifest.Id
                : ManifestCheckpoints.Find((await s.Manifests(external.Path).TryReadLatestAsync())!.Value, external.SourceCheckpointId.ToGuid())!.ManifestId;
            await s.CheckpointAsync(external.Path, external.FinalCheckpointId.ToGuid(), lifetime: null, pinned);
        }

        await s.Manifests(clonePath).CreateOrReadLatestAsync(clone);
        return (await s.WriteAsync(clonePath, (ManifestData m) => m.Initialized = true)).Value;
    }
}
