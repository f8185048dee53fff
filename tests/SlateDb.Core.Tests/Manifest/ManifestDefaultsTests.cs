using SlateDb.Infrastructure;
using SlateDb.Manifest;
using Xunit;

namespace SlateDb.Core.Tests.Manifest;

public class ManifestDefaultsTests
{
    private static readonly Guid Source = Guid.Parse("11111111-1111-4111-8111-111111111111");
    private static readonly Guid Final = Guid.Parse("22222222-2222-4222-8222-222222222222");

    [Fact]
    public void A_new_database_starts_initialized_at_epoch_0_with_wal_id_1()
    {
        var manifest = ManifestDefaults.NewDatabase();

        Assert.True(manifest.Initialized);
        Assert.Equal(0UL, manifest.WriterEpoch);
        Assert.Equal(0UL, manifest.CompactorEpoch);
        Assert.Equal(1UL, manifest.NextWalSstId);
        Assert.Equal(0UL, manifest.ReplayAfterWalId);
        Assert.Equal(0UL, manifest.LastL0Seq);
        Assert.Equal(long.MinValue, manifest.L0ClockTick);
        Assert.Empty(manifest.L0);
        Assert.Empty(manifest.SortedRuns);
        Assert.False(manifest.HasWalObjectStoreUri);
        Assert.NotSame(ManifestDefaults.NewDatabase(), ManifestDefaults.NewDatabase());
    }

    [Fact]
    public void A_clone_inherits_state_but_not_checkpoints_or_the_wal_store_and_is_not_initialized()
    {
        var parent = TestManifests.FullyPopulated();
        var before = parent.Clone();

        var clone = ManifestDefaults.ForClone(parent, "parent", Source, Final, new DbRandom(1));

        Assert.Equal(before, parent);
        Assert.False(clone.Initialized);
        Assert.Empty(clone.Checkpoints);
        Assert.False(clone.HasWalObjectStoreUri);
        Assert.Equal(parent.WriterEpoch, clone.WriterEpoch);
        Assert.Equal(parent.CompactorEpoch, clone.CompactorEpoch);
        Assert.Equal(parent.ReplayAfterWalId, clone.ReplayAfterWalId);
        Assert.Equal(parent.NextWalSstId, clone.NextWalSstId);
        Assert.Equal(parent.LastL0Seq, clone.LastL0Seq);
        Assert.Equal(parent.L0ClockTick, clone.L0ClockTick);
        Assert.Equal(parent.L0, clone.L0);
        Assert.Equal(parent.SortedRuns, clone.SortedRuns);
        Assert.Null(ManifestCodec.FindStructuralProblem(clone));
    }

    [Fact]
    public void A_clone_references_the_parent_sst_it_owns_and_re_keys_the_grandparents()
    {
        var parent = TestManifests.FullyPopulated();
        var grandparent = parent.ExternalDbs[0];
        // One of the parent's L0 SSTs is the grandparent's: it stays attributed to the grandparent.
        parent.L0[1].Id = grandparent.SstIds[0].Clone();

        var clone = ManifestDefaults.ForClone(parent, "parent", Source, Final, new DbRandom(1));

        Assert.Equal(2, clone.ExternalDbs.Count);
        var inherited = clone.ExternalDbs[0];
        Assert.Equal(grandparent.Path, inherited.Path);
        Assert.Equal(grandparent.FinalCheckpointId, inherited.SourceCheckpointId);
        Assert.NotEqual(grandparent.FinalCheckpointId, inherited.FinalCheckpointId);
        Assert.Equal(grandparent.SstIds, inherited.SstIds);

        var self = clone.ExternalDbs[1];
        Assert.Equal("parent", self.Path);
        Assert.Equal(Source, self.SourceCheckpointId.ToGuid());
        Assert.Equal(Final, self.FinalCheckpointId.ToGuid());
        var expected = new[] { parent.L0[0] }.Concat(parent.SortedRuns.SelectMany(r => r.Ssts)).Select(h => h.Id.ToUlid());
        Assert.Equal(expected, self.SstIds.Select(id => id.ToUlid()));
    }

    [Fact]
    public void An_unfinished_clone_cannot_be_cloned()
    {
        var parent = TestManifests.FullyPopulated();
        parent.Initialized = false;

        var e = Assert.Throws<SlateDbException>(() => ManifestDefaults.ForClone(parent, "parent", Source, Final, new DbRandom(1)));

        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains("'parent'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_grandparent_without_a_final_checkpoint_is_refused()
    {
        var parent = TestManifests.FullyPopulated();
        parent.ExternalDbs[0].FinalCheckpointId = null;

        var e = Assert.Throws<SlateDbException>(() => ManifestDefaults.ForClone(parent, "parent", Source, Final, new DbRandom(1)));

        Assert.Contains("parent/db", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_parent_path_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => ManifestDefaults.ForClone(TestManifests.FullyPopulated(), "/parent", Source, Final, new DbRandom(1)));
    }
}
