using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Admin.Tests.Clones.CloneKit;

namespace SlateDb.Admin.Tests.Copies;

/// <summary>A crash at every object-store call of CopyAsync, then a re-run: the copy comes out as an uninterrupted one.</summary>
public sealed class CopyCrashTests
{
    private const string SourceWalUri = "memory://source-wal";
    private const string DestWalUri = "memory://dest-wal";

    [Theory]
    [InlineData(0, false)]
    [InlineData(0, true)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(3, true)]
    public async Task A_crash_at_any_store_call_then_a_re_run_gives_the_same_copy(int crashingStore, bool afterApplying)
    {
        var time = Clock();
        var (golden, goldenWal, expected) = await CrashedSourceAsync(time, SourceWalUri);

        async Task<InMemoryObjectStore[]> FreshAsync()
        {
            var stores = new[]
            {
                new InMemoryObjectStore(), new InMemoryObjectStore(SourceWalUri), new InMemoryObjectStore(), new InMemoryObjectStore(DestWalUri),
            };
            await CopyAllAsync(golden, stores[0]);
            await CopyAllAsync(goldenWal, stores[1]);
            return stores;
        }

        await CrashAtEveryCallAsync(
            FreshAsync,
            crashingStore,
            afterApplying,
            (faulty, call) => DbAdmin.CopyAsync(Parent, faulty[0], "backup", faulty[2], null, faulty[1], faulty[3], null, Options(time, seed: 1000 + call, concurrency: 2)),
            async (stores, call) =>
            {
                await DbAdmin.CopyAsync(Parent, stores[0], "backup", stores[2], null, stores[1], stores[3], null, Options(time, seed: call));
                Assert.Equal(expected, await ReadDbAsync("backup", stores[2], stores[3], time));
                Assert.Equal(expected, await ReadDbAsync(Parent, stores[0], stores[1], time));
            });
    }
}
