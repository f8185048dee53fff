using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Admin.Tests.Clones.CloneKit;

namespace SlateDb.Admin.Tests.Clones;

/// <summary>A crash at every object-store call of CreateCloneAsync, then a re-run: the clone comes out as an uninterrupted one.</summary>
public sealed class CloneCrashTests
{
    private const string ParentWalUri = "memory://parent-wal";
    private const string CloneWalUri = "memory://clone-wal";

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public async Task A_crash_at_any_store_call_then_a_re_run_gives_the_same_clone(int crashingStore, bool afterApplying)
    {
        var time = Clock();
        var (golden, goldenWal, expected) = await CrashedSourceAsync(time, ParentWalUri);
        var (referenceStore, referenceWal) = (new InMemoryObjectStore(), new InMemoryObjectStore(ParentWalUri));
        await CopyAllAsync(golden, referenceStore);
        await CopyAllAsync(goldenWal, referenceWal);
        var reference = await DbAdmin.CreateCloneAsync(Clone, Parent, referenceStore, null, new InMemoryObjectStore(CloneWalUri), referenceWal, Options(time), default);
        Assert.Equal(3, reference.WalObjectsCopied);

        var crashes = 0;
        for (var call = 1L; ; call++)
        {
            var store = new InMemoryObjectStore();
            var parentWal = new InMemoryObjectStore(ParentWalUri);
            var cloneWal = new InMemoryObjectStore(CloneWalUri);
            await CopyAllAsync(golden, store);
            await CopyAllAsync(goldenWal, parentWal);
            var faulty = new[] { store, parentWal, cloneWal }.Select((s, i) => new FaultInjectingObjectStore(s, seed: i)).ToArray();
            faulty[crashingStore].CrashAtCall(call, afterApplying);

            try
            {
                await DbAdmin.CreateCloneAsync(Clone, Parent, faulty[0], null, faulty[2], faulty[1], Options(time, seed: 1000 + call, concurrency: 2), default);
            }
            catch (SimulatedCrashException)
            {
            }

            var crashed = faulty[crashingStore].IsCrashed;
            var result = await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, cloneWal, parentWal, Options(time, seed: call), default);
            Assert.Equal((reference.ReplayAfterWalId, reference.NextWalSstId), (result.ReplayAfterWalId, result.NextWalSstId));
            Assert.Equal(expected, await ReadDbAsync(Clone, store, cloneWal, time));
            Assert.Equal(expected, await ReadDbAsync(Parent, store, parentWal, time));
            if (!crashed)
            {
                break;
            }

            crashes++;
        }

        Assert.True(crashes > 0, "no call crashed");
    }
}
