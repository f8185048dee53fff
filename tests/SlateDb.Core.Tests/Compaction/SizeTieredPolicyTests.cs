using SlateDb.Compaction;
using SlateDb.Infrastructure;
using SlateDb.Manifest.Proto;
using Xunit;

namespace SlateDb.Core.Tests.Compaction;

public class SizeTieredPolicyTests
{
    private static readonly CompactorSettings Defaults = new();
    private static ulong _next = 1;

    private static SstHandle Sst(ulong size) => new() { Id = SstId.FromUlid(new Ulid(1, _next++)), Size = size };

    private static SortedRun Run(uint id, params ulong[] sizes)
    {
        var run = new SortedRun { Id = id };
        run.Ssts.AddRange(sizes.Select(Sst));
        return run;
    }

    private static ManifestData Manifest(int l0, params SortedRun[] runs)
    {
        var m = new ManifestData();
        for (var i = 0; i < l0; i++)
        {
            m.L0.Add(Sst(10));
        }

        m.SortedRuns.AddRange(runs);
        return m;
    }

    [Fact]
    public void Fewer_l0_than_the_threshold_and_no_similar_runs_pick_nothing()
    {
        Assert.Empty(SizeTieredPolicy.Pick(Manifest(3, Run(1, 100)), Defaults, [], 4));
    }

    [Fact]
    public void At_the_threshold_the_oldest_l0_become_a_new_run_above_every_run()
    {
        var m = Manifest(10, Run(7, 100), Run(3, 1000));
        var spec = Assert.Single(SizeTieredPolicy.Pick(m, Defaults, [], 4));
        Assert.Equal(8, spec.L0.Count);
        Assert.Equal(m.L0.Skip(2), spec.L0);    // the oldest eight, newest first
        Assert.Empty(spec.Runs);
        Assert.Equal(8u, spec.OutputRunId);
        Assert.False(spec.IsBottom);
    }

    [Fact]
    public void The_first_l0_compaction_of_a_database_is_the_bottom()
    {
        var spec = Assert.Single(SizeTieredPolicy.Pick(Manifest(4), Defaults, [], 4));
        Assert.True(spec.IsBottom);
        Assert.Equal(0u, spec.OutputRunId);
    }

    [Fact]
    public void Only_one_l0_compaction_runs_at_a_time()
    {
        var m = Manifest(12);
        var running = SizeTieredPolicy.PickL0(m, Defaults)!;
        Assert.Empty(SizeTieredPolicy.Pick(m, Defaults, [running], 4));
    }

    [Fact]
    public void Similar_runs_merge_into_the_oldest_and_a_much_larger_older_run_is_left_alone()
    {
        var m = Manifest(0, Run(9, 10), Run(8, 12), Run(7, 11), Run(6, 30), Run(5, 5000));
        var spec = Assert.Single(SizeTieredPolicy.Pick(m, Defaults, [], 4));
        Assert.Equal([9u, 8u, 7u, 6u], spec.Runs.Select(r => r.Id));
        Assert.Equal(6u, spec.OutputRunId);
        Assert.False(spec.IsBottom);
    }

    [Fact]
    public void Merging_the_oldest_run_is_the_bottom_and_extras_beyond_the_maximum_are_the_newest_left_out()
    {
        var settings = new CompactorSettings { MaxSortedRunsPerCompaction = 4 };
        var m = Manifest(0, Run(6, 10), Run(5, 10), Run(4, 10), Run(3, 10), Run(2, 10), Run(1, 10));
        var spec = SizeTieredPolicy.PickRuns(m, settings, new HashSet<uint>())!;
        Assert.Equal([4u, 3u, 2u, 1u], spec.Runs.Select(r => r.Id));
        Assert.Equal(1u, spec.OutputRunId);
        Assert.True(spec.IsBottom);
    }

    [Fact]
    public void Runs_a_running_compaction_uses_are_not_taken_again()
    {
        var m = Manifest(4, Run(5, 10), Run(4, 10), Run(3, 10), Run(2, 10), Run(1, 10));
        var busy = SizeTieredPolicy.PickRuns(m, Defaults, new HashSet<uint>())!;
        var picked = SizeTieredPolicy.Pick(m, Defaults, [busy], 4);
        var l0 = Assert.Single(picked);
        Assert.True(l0.TakesL0);
        Assert.Equal(6u, l0.OutputRunId);
    }

    [Fact]
    public void Fewer_than_the_minimum_similar_runs_pick_nothing()
    {
        Assert.Null(SizeTieredPolicy.PickRuns(Manifest(0, Run(3, 10), Run(2, 10), Run(1, 10)), Defaults, new HashSet<uint>()));
    }
}
