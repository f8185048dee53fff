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

        async Task<InMemoryObjectStore[]> FreshAsync()
        {
            var stores = new[] { new InMemoryObjectStore(), new InMemoryObjectStore(ParentWalUri), new InMemoryObjectStore(CloneWalUri) };
            await CopyAllAsync(golden, stores[0]);
            await CopyAllAsync(goldenWal, stores[1]);
            return stores;
        }

        await CrashAtEveryCallAsync(
            FreshAsync,
            crashingStore,
            afterApplying,
            (faulty, call) => DbAdmin.CreateCloneAsync(Clone, Parent, faulty[0], null, faulty[2], faulty[1], Options(time, seed: 1000 + call, concurrency: 2), default),
            async (stores, call) =>
            {
                var result = await DbAdmin.CreateCloneAsync(Clone, Parent, stores[0], null, stores[2], stores[1], Options(time, seed: call), default);
                Assert.Equal((reference.ReplayAfterWalId, reference.NextWalSstId), (result.ReplayAfterWalId, result.NextWalSstId));
                Assert.Equal(expected, await ReadDbAsync(Clone, stores[0], stores[2], time));
                Assert.Equal(expected, await ReadDbAsync(Parent, stores[0], stores[1], time));
            });
    }
}
