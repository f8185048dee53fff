using SlateDb.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Thousands of random operations checked against a sorted-dictionary model. A failure names the seed;
/// set SLATEDB_SEED to rerun one seed (it is added to the cases below).
/// </summary>
public sealed class ModelTests(ITestOutputHelper output)
{
    private const int Steps = 2000;

    public static TheoryData<int, StoreKind> Cases()
    {
        var cases = new TheoryData<int, StoreKind>
        {
            { 1, StoreKind.Memory },
            { 2, StoreKind.Memory },
            { 3, StoreKind.Memory },
            { 4, StoreKind.Memory },
            { 101, StoreKind.LocalFiles },
            { 102, StoreKind.LocalFiles },
        };
        if (int.TryParse(Environment.GetEnvironmentVariable("SLATEDB_SEED"), out var extra))
        {
            cases.Add(extra, StoreKind.Memory);
            cases.Add(extra, StoreKind.LocalFiles);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Random_operations_match_a_sorted_dictionary_model(int seed, StoreKind kind)
    {
        using var store = TestStore.Create(kind, "model");
        var runner = new ModelRunner(seed, store.Store, TestDb.SmallTables(seed));

        await runner.RunAsync(Steps);

        output.WriteLine($"seed {seed} on {kind}: " + string.Join(", ", runner.Counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(runner.Counts.GetValueOrDefault("crash and reopen") > 0, $"seed {seed} never crashed; pick another seed");
        Assert.True(runner.Counts.GetValueOrDefault("flush memtable") > 0, $"seed {seed} never flushed the memtable");
        var l0 = (await TestDb.ListAllAsync(store.Store)).Count(p => p.Contains("/compacted/", StringComparison.Ordinal));
        Assert.True(l0 >= 10, $"seed {seed} made only {l0} compacted SSTs; the settings should force many small L0 flushes");
    }
}
