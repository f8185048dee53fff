using System.Text;
using SlateDb.Testing.Merging;
using SlateDb.Testing.Simulation;
using Xunit;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Merges and time to live through the public API only: a seeded workload of puts, deletes, merges and batches with and
/// without TTLs, clock moves, memtable flushes, standalone compactions, snapshots, transactions, reopens and a following
/// reader, every read compared with <see cref="VersionModel"/>.
/// </summary>
public sealed class MergeTtlModelTests
{
    public static TheoryData<int, string, StoreKind> Cases() => new()
    {
        { 21, "counter", StoreKind.Memory },
        { 22, "append", StoreKind.Memory },
        { 23, "counter", StoreKind.LocalFiles },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Merges_and_expiry_match_the_model_across_flushes_compactions_and_reopens(int seed, string operatorName, StoreKind kind)
    {
        using var store = TestStore.Create(kind, "merge-ttl-model");
        IMergeOperator op = operatorName == "counter" ? new CounterOperator() : new AppendOperator();
        var clock = TestDb.Clock();
        var settings = TestDb.SmallTables(seed);
        settings.MergeOperator = op;
        settings.Compactor = null;
        settings.Gc = null;
        settings.ManifestPollInterval = TimeSpan.FromHours(1);
        settings.FlushInterval = TimeSpan.FromHours(1);
        var compactorSettings = settings.Clone();
        compactorSettings.Compactor = new CompactorSettings
        {
            L0CompactionThreshold = 2,
            MinSortedRunsToMerge = 2,
            TargetSstSizeBytes = 4096,
            PollInterval = TimeSpan.FromHours(1),
        };
        var workload = new MergeTtlWorkload(
            seed,
            store.Store,
            clock,
            settings,
            async _ =>
            {
                await using var compactor = await Compactor.OpenAsync("merge-ttl", store.Store, compactorSettings, clock);
                await compactor.CompactAsync();
            },
            operatorName == "counter" ? r => CounterOperator.Encode(r.Next(-50, 100)) : r => Encoding.UTF8.GetBytes($"{(char)('a' + r.Next(26))}"));
        await workload.RunAsync(steps: 500);
    }

    [Fact]
    public async Task Counter_increments_from_concurrent_writers_are_never_lost()
    {
        var op = new CounterOperator();
        var settings = TestDb.SmallTables();
        settings.MergeOperator = op;
        var store = new ObjectStore.InMemoryObjectStore();
        await using var db = await TestDb.OpenAsync("counters", store, settings: settings);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 250; i++)
            {
                await db.MergeAsync(Encoding.UTF8.GetBytes($"c{i % 5}"), CounterOperator.Encode(1), TestDb.NoWait);
            }
        })));
        await db.FlushAsync(FlushType.MemTable);
        long total = 0;
        for (var c = 0; c < 5; c++)
        {
            total += CounterOperator.Decode(await db.GetAsync($"c{c}") ?? throw new InvalidOperationException($"c{c} is missing"));
        }

        Assert.Equal(1000, total);
    }
}
