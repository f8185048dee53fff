using SlateDb.Compaction;
using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;
using Xunit;

namespace SlateDb.Core.Tests.Compaction;

public class CompactionPublicationTests
{
    private static ulong _next = 1;

    private static SstHandle Sst() => new() { Id = SstId.FromUlid(new Ulid(2, _next++)), Size = 10 };

    [Fact]
    public void Inputs_leave_by_id_while_new_l0_from_the_writer_stay_in_front()
    {
        var old1 = Sst();
        var old2 = Sst();
        var picked = new ManifestData();
        picked.L0.AddRange([old1, old2]);
        var spec = SizeTieredPolicyPick(picked);

        // The writer published two more L0 SSTs (at the front) after the compactor picked its inputs.
        var latest = picked.Clone();
        var new1 = Sst();
        var new2 = Sst();
        latest.L0.Insert(0, new1);
        latest.L0.Insert(0, new2);
        latest.LastL0Seq = 99;
        var output = Sst();

        var published = CompactionPublication.Apply(latest.Clone(), spec, [output], "db")!;

        Assert.Equal([new2, new1], published.L0);
        var run = Assert.Single(published.SortedRuns);
        Assert.Equal([output], run.Ssts);
        Assert.Equal(old1.Id, published.L0LastCompacted);
        Assert.Equal(99UL, published.LastL0Seq);

        // Applied again (a retried update whose first attempt landed): nothing to change.
        Assert.Null(CompactionPublication.Apply(published.Clone(), spec, [output], "db"));
    }

    [Fact]
    public void The_output_run_takes_its_place_by_id_and_input_runs_leave()
    {
        var m = new ManifestData();
        foreach (var id in new uint[] { 9, 7, 5, 3 })
        {
            var run = new SortedRun { Id = id };
            run.Ssts.Add(Sst());
            m.SortedRuns.Add(run);
        }

        var spec = new CompactionSpec([], [m.SortedRuns[1], m.SortedRuns[2]], 5, IsBottom: false);
        var output = Sst();
        var published = CompactionPublication.Apply(m.Clone(), spec, [output], "db")!;
        Assert.Equal([9u, 5u, 3u], published.SortedRuns.Select(r => r.Id));
        Assert.Equal([output], published.SortedRuns[1].Ssts);
    }

    [Fact]
    public void A_missing_input_is_an_internal_error_and_nothing_changes()
    {
        var m = new ManifestData();
        m.L0.AddRange([Sst(), Sst()]);
        var spec = SizeTieredPolicyPick(m);
        var gone = m.Clone();
        gone.L0.RemoveAt(1);
        gone.L0.Add(Sst());
        var ex = Assert.Throws<SlateDbException>(() => CompactionPublication.Apply(gone, spec, [Sst()], "db"));
        Assert.Equal(SlateDbErrorKind.Internal, ex.Kind);
        Assert.Contains("'db'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clone_parent_ids_no_longer_referenced_are_pruned()
    {
        var parentSst = Sst();
        var m = new ManifestData();
        m.L0.Add(parentSst);
        m.L0.Add(Sst());
        m.ExternalDbs.Add(new ExternalDb { Path = "parent", SourceCheckpointId = new Uuid { High = 1 } });
        m.ExternalDbs[0].SstIds.Add(parentSst.Id);
        var spec = SizeTieredPolicyPick(m);
        var published = CompactionPublication.Apply(m.Clone(), spec, [Sst()], "db")!;
        Assert.Empty(published.ExternalDbs[0].SstIds);
    }

    private static CompactionSpec SizeTieredPolicyPick(ManifestData m)
        => SizeTieredPolicy.PickL0(m, new CompactorSettings { L0CompactionThreshold = 2 })!;
}
