using System.Diagnostics;
using SlateDb.Testing.Simulation.Dst;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Simulation.Tests.Dst;

/// <summary>
/// The CI mode of the deterministic simulation (<see cref="DstRun"/>): a few hundred seeds, each a run of writers, a
/// bank, readers, flushes, compaction, GC, checkpoints, clones, reopens, crashes and a fencer over a store with
/// toxics, checked against the model after every step; most in memory, some on local files and some with a separate
/// WAL store. The long mode is tests/SlateDb.Simulation.Runner.
/// </summary>
public sealed class DeterministicSimulationTests(ITestOutputHelper output)
{
    private const int CiSeeds = 300;
    private const int CiSteps = 100;

    // Seeds 1..240 in memory, the next 30 on local files, the last 30 with the WAL in a separate store.
    private static DstOptions CiOptions(int seed) => new()
    {
        Steps = CiSteps,
        LocalFiles = seed is > 240 and <= 270,
        SeparateWalStore = seed > 270,
    };

    [Fact]
    public async Task Every_seed_keeps_every_invariant()
    {
        var totals = new DstTotals();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        var next = 0;

        // Runs spend most of their time waiting on injected latency and retries, so more runs than cores overlap well.
        async Task WorkAsync()
        {
            for (var seed = Interlocked.Increment(ref next); seed <= CiSeeds; seed = Interlocked.Increment(ref next))
            {
                try
                {
                    totals.Add(await new DstRun(seed, CiOptions(seed)).RunAsync());
                }
                catch (DstFailedException ex)
                {
                    totals.AddFailure(ex.LostData);
                    lock (failures)
                    {
                        failures.Add($"{ex.Message}\n{ex.InnerException}");
                    }
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 2 * Environment.ProcessorCount).Select(_ => Task.Run(WorkAsync)));
        output.WriteLine($"{totals.SummaryLine()} ({CiSeeds} seeds of {CiSteps} steps in {clock.Elapsed.TotalSeconds:0} s, " +
                         $"{totals.Fences} fences, {totals.ToxicStrikes} toxic strikes)");
        Assert.True(failures.Count == 0, $"{failures.Count} of {CiSeeds} seeds failed:\n\n{string.Join("\n\n", failures)}");
        Assert.Equal(CiSeeds, totals.Runs);
        Assert.Equal(0, totals.Lost);
        Assert.True(totals.Crashes > CiSeeds, $"Only {totals.Crashes} crashes were injected in {CiSeeds} runs.");
        Assert.True(totals.ToxicStrikes > CiSeeds, $"Only {totals.ToxicStrikes} toxic strikes in {CiSeeds} runs.");
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task A_seed_replays_exactly(int seed)
    {
        var options = new DstOptions { Steps = 150, KeepTrace = true };
        var first = await new DstRun(seed, options).RunAsync();
        var second = await new DstRun(seed, options).RunAsync();

        var firstDifference = first.Trace.Zip(second.Trace).Select((pair, i) => (pair, i)).FirstOrDefault(x => x.pair.First != x.pair.Second);
        Assert.True(
            first.TraceHash == second.TraceHash,
            $"Seed {seed} gave two different traces; first difference at line {firstDifference.i}:\n  {firstDifference.pair.First}\n  {firstDifference.pair.Second}");
        Assert.Equal(first.Trace, second.Trace);
        Assert.True(first.Trace.Count > options.Steps, "The trace has fewer lines than steps.");

        // The hash covers the run: another seed gives another trace.
        var other = await new DstRun(seed + 1000, options).RunAsync();
        Assert.NotEqual(first.TraceHash, other.TraceHash);
    }

    [Fact]
    public async Task A_store_that_loses_wal_objects_fails_the_run_with_its_seed_and_how_to_replay_it()
    {
        var options = new DstOptions { Steps = 200, Toxics = false, WrapStore = inner => new WalDroppingObjectStore(inner) };
        var ex = await Assert.ThrowsAsync<DstFailedException>(() => new DstRun(4, options).RunAsync());
        output.WriteLine(ex.Message);
        Assert.Equal(4, ex.Seed);
        Assert.StartsWith("Simulation seed 4 failed at step ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Replay: dotnet run -c Release --project tests/SlateDb.Simulation.Runner -- --seed 4 --steps 200 --no-toxics", ex.Message, StringComparison.Ordinal);
    }
}
