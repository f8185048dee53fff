using SlateDb.ObjectStore;
using Xunit;
using Xunit.Abstractions;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Compaction;

public class CompactionCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_crash_at_any_store_call_of_a_compaction_loses_nothing_and_leaves_nothing_referenced_missing()
    {
        // A database with L0 SSTs and runs to compact (written with compaction off).
        var baseStore = new InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using (var db = await OpenAsync(baseStore, Small(null)))
        {
            for (var version = 1; version <= 3; version++)
            {
                await WriteAsync(db, model, 0, 120, version, flushEvery: 30);
            }

            await db.CloseAsync();
        }

        var policy = Policy();
        policy.MaxSubcompactions = 1;   // one call order
        policy.MaxConcurrentCompactions = 1;
        var settings = Small(policy);

        // How many calls a whole compaction takes, uninterrupted.
        var counting = new FaultInjectingObjectStore(await CopyAsync(baseStore), seed: 1);
        await using (var compactor = await Compactor.OpenAsync(DbPath, counting, settings, Clock()))
        {
            await compactor.CompactAsync();
        }

        var calls = counting.CallCount;
        output.WriteLine($"an uninterrupted compaction makes {calls} store calls");
        Assert.True(calls > 10);

        for (var call = 1; call <= calls; call++)
        {
            foreach (var afterApplying in new[] { false, true })
            {
                var inner = await CopyAsync(baseStore);
                var faults = new FaultInjectingObjectStore(inner, seed: 1).CrashAtCall(call, afterApplying);
                try
                {
                    await using var compactor = await Compactor.OpenAsync(DbPath, faults, settings, Clock());
                    await compactor.CompactAsync();
                }
                catch (SimulatedCrashException)
                {
                }

                var what = $"crash at call {call} ({(afterApplying ? "after" : "before")} it applied)";
                try
                {
                    await AssertReferencedExistAsync(inner);
                    await using (var db = await OpenAsync(inner, Small(null)))
                    {
                        await AssertMatchesAsync(db, model);
                    }

                    // A compactor started afterwards finishes the work.
                    await using (var compactor = await Compactor.OpenAsync(DbPath, inner, settings, Clock()))
                    {
                        await compactor.CompactAsync();
                    }

                    await AssertReferencedExistAsync(inner);
                    await using var again = await OpenAsync(inner, Small(null));
                    await AssertMatchesAsync(again, model);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"{what}: {e}");
                }
            }
        }
    }
}
