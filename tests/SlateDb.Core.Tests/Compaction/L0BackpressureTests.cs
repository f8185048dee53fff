using SlateDb.Core.Tests.Db;
using SlateDb.Manifest;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Compaction;

public class L0BackpressureTests
{
    [Fact]
    public async Task At_L0MaxSsts_flushes_wait_for_compaction_and_writers_wait_through_unflushed_bytes()
    {
        const int limit = 3;
        var hooked = new Manifest.HookedObjectStore();

        // Compaction jobs are held at their first step (recording the job in the compactor state; the claim is the
        // first write there) until released.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stateWrites = 0;
        hooked.BeforePut = async (path, _) =>
        {
            if (path.Contains("/compactions/", StringComparison.Ordinal) && Interlocked.Increment(ref stateWrites) > 1)
            {
                await release.Task;
            }
        };
        long stalls = 0;
        using var listener = Listen("slatedb.l0.stalls", v => Interlocked.Add(ref stalls, v));
        var logs = new CapturingLoggerFactory();
        var settings = Small(Policy(), l0Max: limit);
        settings.MaxUnflushedBytes = 8 * 1024;
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(hooked, settings, logs: logs);

        // Full memtables freeze on their own (no explicit flush), so unflushed bytes pile up behind the waiting flusher.
        var writer = Task.Run(() => WriteAsync(db, model, 0, 400, version: 1, flushEvery: int.MaxValue));
        try
        {
            await EventuallyAsync(() => Interlocked.Read(ref stalls) > 0 || writer.IsCompleted, "a memtable flush waits for L0 room");
            Assert.Equal(limit, db.Engine.State.Current.L0.Length);
            await EventuallyAsync(() => db.Engine.WriteLoop.IsOverLimit || writer.IsCompleted, "writers wait through MaxUnflushedBytes");
            Assert.False(writer.IsCompleted, "the writer finished although L0 was full and compaction held");
            Assert.True(db.Engine.WriteLoop.IsOverLimit);
            Assert.True(logs.Contains("memtable flushes wait for compaction"));
        }
        finally
        {
            release.TrySetResult();
        }

        await writer;
        await db.FlushAsync(FlushType.MemTable);
        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        await AssertMatchesAsync(db, model);

        // No manifest ever listed more than the limit.
        var manifests = new ManifestStore(hooked.Inner, DbPath);
        await foreach (var id in manifests.ListIdsAsync())
        {
            var count = (await manifests.ReadAsync(id)).Value.L0.Count;
            Assert.True(count <= limit, $"manifest {id} lists {count} L0 SSTs; the limit is {limit}");
        }
    }

    [Fact]
    public async Task L0_stays_bounded_under_sustained_writes()
    {
        const int limit = 4;
        var store = new ObjectStore.InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using (var db = await OpenAsync(store, Small(Policy(threshold: 2), l0Max: limit)))
        {
            for (var version = 1; version <= 5; version++)
            {
                await WriteAsync(db, model, 0, 300, version, flushEvery: 10);
            }

            await AssertMatchesAsync(db, model);
        }

        var manifests = new ManifestStore(store, DbPath);
        var runsSeen = false;
        await foreach (var id in manifests.ListIdsAsync())
        {
            var manifest = (await manifests.ReadAsync(id)).Value;
            Assert.True(manifest.L0.Count <= limit, $"manifest {id} lists {manifest.L0.Count} L0 SSTs; the limit is {limit}");
            runsSeen |= manifest.SortedRuns.Count > 0;
        }

        Assert.True(runsSeen);
    }

    [Fact]
    public async Task Without_a_compactor_the_limit_does_not_apply_and_opening_says_so()
    {
        var logs = new CapturingLoggerFactory();
        var store = new ObjectStore.InMemoryObjectStore();
        await using var db = await OpenAsync(store, Small(null, l0Max: 2), logs: logs);
        await WriteAsync(db, [], 0, 100, version: 1, flushEvery: 10);
        Assert.True((await LatestManifestAsync(store)).Value.L0.Count > 2);
        Assert.True(logs.Contains("L0MaxSsts (2) is not enforced"));
    }
}
