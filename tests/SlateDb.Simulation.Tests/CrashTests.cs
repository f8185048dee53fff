using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace SlateDb.Simulation.Tests;

/// <summary>
/// Runs a fixed workload once to count its object-store calls N, then for every k in 1..N runs it again on a
/// fresh store that crashes at call k (that call and every later one fail), reopens on the bytes the store
/// kept and checks the durability promises (<see cref="DurabilityOracle"/>).
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Seed = 7;

    [Fact]
    public Task Durable_writes_survive_a_crash_at_every_store_call() => RunAsync(separateWalStore: false);

    [Fact]
    public Task Durable_writes_survive_a_crash_at_every_store_call_with_a_separate_wal_store() => RunAsync(separateWalStore: true);

    [Fact]
    public async Task Durable_writes_survive_a_crash_at_every_store_call_on_local_files()
    {
        using var directory = new SlateDb.Testing.TempDirectory("crash");
        var iteration = 0;
        await RunAsync(separateWalStore: false, () => new LocalFileSystemObjectStore(directory.Combine($"run-{iteration++}")));
    }

    private async Task RunAsync(bool separateWalStore, Func<IObjectStore>? newStore = null)
    {
        newStore ??= () => new InMemoryObjectStore();
        var workload = new CrashWorkload(TestDb.SmallTables(), Seed);

        // A clean run: every call succeeds, every write is durable at the end.
        var first = newStore();
        var counting = new FaultInjectingObjectStore(first, Seed);
        var clean = new DurabilityOracle();
        await RunWorkloadAsync(workload, counting, separateWalStore, clean);
        Assert.True(workload.Failures.Count == 0, $"The workload failed without a crash: {string.Join("\n", workload.Failures)}");
        var calls = counting.CallCount;
        output.WriteLine($"The workload makes {calls} object-store calls.");
        Assert.InRange(calls, 20, 400);
        await AssertRecoveredAsync(workload, first, separateWalStore, clean, "the clean run");

        for (var k = 1; k <= calls; k++)
        {
            var inner = newStore();
            var faults = new FaultInjectingObjectStore(inner, Seed).CrashAtCall(k);
            var oracle = new DurabilityOracle();
            await RunWorkloadAsync(workload, faults, separateWalStore, oracle);
            await AssertRecoveredAsync(workload, inner, separateWalStore, oracle, $"seed {Seed}, crash at call {k} of {calls}");
        }
    }

    private static Task RunWorkloadAsync(CrashWorkload workload, IObjectStore store, bool separateWalStore, DurabilityOracle oracle)
        => separateWalStore
            ? workload.RunAsync(new PrefixedObjectStore(store, "main"), new PrefixedObjectStore(store, "wal"), oracle)
            : workload.RunAsync(store, null, oracle);

    // Reopens on the bytes 'inner' kept, through a wrapper without faults (so store URIs match the run's).
    private static async Task AssertRecoveredAsync(
        CrashWorkload workload, IObjectStore inner, bool separateWalStore, DurabilityOracle oracle, string context)
    {
        var store = new FaultInjectingObjectStore(inner, Seed);
        Db db;
        try
        {
            db = await Guard.Within(
                separateWalStore
                    ? workload.OpenAsync(new PrefixedObjectStore(store, "main"), new PrefixedObjectStore(store, "wal"))
                    : workload.OpenAsync(store),
                $"{context}: reopening");
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            throw new DurabilityViolationException($"{context}: the database does not reopen: {ex}");
        }

        var recovered = await KeyValueModel.ReadAllAsync(db);
        oracle.AssertRecovered(recovered, context);

        // The recovered database takes writes again.
        await db.PutAsync("after-recovery"u8.ToArray(), "ok"u8.ToArray(), TestDb.NoWait);
        await Guard.Within(db.FlushAsync(), $"{context}: flushing after recovery");
        await Guard.Within(db.CloseAsync(), $"{context}: closing after recovery");
    }
}
