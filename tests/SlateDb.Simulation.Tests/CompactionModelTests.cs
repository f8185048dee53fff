using System.Diagnostics.Metrics;
using SlateDb.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// The random model run with an eager compactor in the database's process: compactions run concurrently with puts,
/// deletes, batches, gets, scans, flushes, reopens and crashes, and every read still equals the model.
/// </summary>
public sealed class CompactionModelTests(ITestOutputHelper output)
{
    private const int Steps = 2000;

    public static TheoryData<int, StoreKind> Cases() => new()
    {
        { 11, StoreKind.Memory },
        { 12, StoreKind.Memory },
        { 13, StoreKind.Memory },
        { 111, StoreKind.LocalFiles },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Random_operations_with_compaction_running_match_the_model(int seed, StoreKind kind)
    {
        using var store = TestStore.Create(kind, "compaction-model");
        var settings = TestDb.SmallTables(seed);
        settings.L0MaxSsts = 4;
        settings.Compactor = new CompactorSettings
        {
            L0CompactionThreshold = 2,
            MaxL0SstsPerCompaction = 3,
            MinSortedRunsToMerge = 2,
            MaxSortedRunsPerCompaction = 3,
            TargetSstSizeBytes = 4096,
            MaxSubcompactions = 2,
            PollInterval = TimeSpan.FromHours(1),
        };
        long compactions = 0;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "SlateDb" && instrument.Name == "slatedb.compactions")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "slatedb.db" && Equals(tag.Value, "model-db"))
                {
                    Interlocked.Add(ref compactions, value);
                }
            }
        });
        listener.Start();
        var runner = new ModelRunner(seed, store.Store, settings);

        await runner.RunAsync(Steps);

        output.WriteLine($"seed {seed} on {kind}: {Interlocked.Read(ref compactions)} compactions; " +
                         string.Join(", ", runner.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(Interlocked.Read(ref compactions) >= 5, $"seed {seed} ran only {compactions} compactions");
        Assert.True(runner.Counts.GetValueOrDefault("crash and reopen") > 0, $"seed {seed} never crashed; pick another seed");
    }
}
