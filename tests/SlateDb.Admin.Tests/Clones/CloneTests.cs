using SlateDb.Checkpoints;
using SlateDb.Layout;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using Xunit;
using static SlateDb.Admin.Tests.Clones.CloneKit;

namespace SlateDb.Admin.Tests.Clones;

/// <summary>DbAdmin.CreateCloneAsync: the seed scenario, rule A, rule C, re-runs, clones of clones and of live databases.</summary>
public sealed class CloneTests
{
    [Theory]
    [InlineData("memory")]
    [InlineData("files")]
    public async Task A_clone_of_a_full_checkpoint_has_every_key_after_the_parent_wal_store_was_wiped_and_its_writes_leave_the_parent_alone(string kind)
    {
        using var dir = new TempDirectory("clone");
        IObjectStore Make(string name) => kind == "memory" ? new InMemoryObjectStore($"memory://{name}") : new LocalFileSystemObjectStore(dir.Combine(name));
        var (store, parentWal, cloneWal) = (Make("main"), Make("wal-a"), Make("wal-b"));
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Guid checkpoint;
        await using (var db = await OpenAsync(Parent, store, parentWal, time))
        {
            await PutRangeAsync(db, 0, 50, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
            await PutRangeAsync(db, 50, 80, 1, expected);
            checkpoint = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
        }

        await DeleteAllAsync(parentWal);

        var result = await DbAdmin.CreateCloneAsync(Clone, Parent, store, checkpoint, cloneWal, parentWal, Options(time), default);

        Assert.False(result.AlreadyExisted);
        Assert.Equal(checkpoint, result.ParentCheckpointId);
        var manifest = (await LatestAsync(store, Clone)).Value;
        Assert.True(manifest.Initialized);
        Assert.Equal(cloneWal.Uri, manifest.WalObjectStoreUri);
        Assert.Empty(await ListAsync(store, Clone + "/compacted/"));
        Assert.NotNull(ManifestCheckpoints.Find((await LatestAsync(store, Parent)).Value, result.FinalCheckpointId));

        await using (var clone = await OpenAsync(Clone, store, cloneWal, time, seed: 2))
        {
            Assert.Equal(expected, await ReadAllAsync(clone));
            await PutRangeAsync(clone, 0, 100, 2);
            await clone.FlushAsync(FlushType.MemTable);
        }

        var cloned = await ReadDbAsync(Clone, store, cloneWal, time);
        Assert.Equal(100, cloned.Count);
        Assert.All(cloned.Values, v => Assert.EndsWith("-v2", v, StringComparison.Ordinal));
        Assert.Equal(expected, await ReadDbAsync(Parent, store, parentWal, time));
    }

    [Fact]
    public async Task Opening_and_closing_without_writes_then_a_full_checkpoint_and_a_wiped_wal_store_still_clones()
    {
        var (store, parentWal, cloneWal) = (new InMemoryObjectStore(), new InMemoryObjectStore(), new InMemoryObjectStore());
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, store, parentWal, time))
        {
            await PutRangeAsync(db, 0, 20, 1, expected);
        }

        for (var i = 0; i < 3; i++)
        {
            await (await OpenAsync(Parent, store, parentWal, time, seed: 10 + i)).CloseAsync();
        }

        Guid checkpoint;
        await using (var db = await OpenAsync(Parent, store, parentWal, time, seed: 20))
        {
            checkpoint = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
        }

        await DeleteAllAsync(parentWal);
        var result = await DbAdmin.CreateCloneAsync(Clone, Parent, store, checkpoint, cloneWal, parentWal, Options(time), default);

        Assert.Equal(0, result.WalObjectsCopied);
        Assert.Equal(expected, await ReadDbAsync(Clone, store, cloneWal, time));
    }

    [Fact]
    public async Task Wal_ids_missing_at_the_start_of_the_range_are_skipped_and_the_clone_replays_after_them()
    {
        var (store, parentWal, cloneWal) = (new InMemoryObjectStore(), new InMemoryObjectStore(), new InMemoryObjectStore());
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, store, parentWal, time))
        {
            await PutRangeAsync(db, 0, 50, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
        }

        // A checkpoint whose replay range lags behind L0 (as a writer without rule D leaves it): its WAL objects hold only
        // rows already in L0. The WAL store then loses the first two of them.
        var paths = new DbPaths(Parent);
        var walIds = await WalIdsAsync(parentWal, Parent);
        var checkpoint = Guid.Parse("3e1f6a2b-7c4d-4e8f-a1b2-c3d4e5f60718");
        await new global::SlateDb.Manifest.ManifestStore(store, Parent).UpdateAsync(version =>
        {
            version.Value.ReplayAfterWalId = walIds[0] - 1;
            ManifestCheckpoints.Add(version.Value, version.Id + 1, checkpoint, null, time.GetUtcNow(), Parent);
            return version.Value;
        });
        await parentWal.DeleteAsync(paths.WalSstPath(walIds[0]));
        await parentWal.DeleteAsync(paths.WalSstPath(walIds[1]));

        var result = await DbAdmin.CreateCloneAsync(Clone, Parent, store, checkpoint, cloneWal, parentWal, Options(time), default);

        Assert.Equal(2, result.WalObjectsSkipped);
        Assert.Equal(walIds[1], result.ReplayAfterWalId);
        Assert.Equal(walIds.Count - 2, result.WalObjectsCopied);
        Assert.Equal(walIds.Skip(2), await WalIdsAsync(cloneWal, Clone));
        Assert.Equal(expected, await ReadDbAsync(Clone, store, cloneWal, time));
    }

    [Fact]
    public async Task A_wal_object_missing_in_the_middle_of_the_range_fails_the_clone_naming_it_and_both_stores()
    {
        var store = new InMemoryObjectStore();
        var (parentWal, cloneWal) = (new InMemoryObjectStore("memory://parent-wal"), new InMemoryObjectStore("memory://clone-wal"));
        var time = Clock();
        var (checkpoint, first, _) = await DurableCheckpointWithWalDataAsync(store, parentWal, time);
        var hole = new DbPaths(Parent).WalSstPath(first + 1);
        await parentWal.DeleteAsync(hole);

        var e = await Assert.ThrowsAsync<SlateDbException>(
            () => DbAdmin.CreateCloneAsync(Clone, Parent, store, checkpoint, cloneWal, parentWal, Options(time), default));

        Assert.Equal(SlateDbErrorKind.Data, e.Kind);
        Assert.Contains(hole, e.Message, StringComparison.Ordinal);
        Assert.Contains("memory://parent-wal", e.Message, StringComparison.Ordinal);
        Assert.Contains("memory://clone-wal", e.Message, StringComparison.Ordinal);
        Assert.False((await LatestAsync(store, Clone)).Value.Initialized);
        var refused = await Assert.ThrowsAsync<SlateDbException>(() => OpenAsync(Clone, store, cloneWal, time));
        Assert.Contains("re-run", refused.Message, StringComparison.Ordinal);

        // An unfinished clone cannot itself be cloned.
        var unfinished = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync("grandchild", Clone, store, null, null, cloneWal, Options(time), default));
        Assert.Contains("did not finish", unfinished.Message, StringComparison.Ordinal);
        Assert.Empty(await ListAsync(store, "grandchild/"));
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_specific_error_and_leaves_the_parent_unchanged()
    {
        var store = new InMemoryObjectStore();
        var (parentWal, otherWal) = (new InMemoryObjectStore("memory://parent-wal"), new InMemoryObjectStore("memory://other-wal"));
        var time = Clock();
        await using (var db = await OpenAsync(Parent, store, parentWal, time))
        {
            await PutRangeAsync(db, 0, 10, 1);
        }

        await using (var other = await OpenAsync("other", store, null, time))
        {
            await PutRangeAsync(other, 0, 5, 1);
        }

        await store.PutAsync("junk/wal/00000000000000000001.sst", new byte[] { 1 }, PutMode.Create);
        var before = (await LatestAsync(store, Parent)).Id;
        var options = Options(time);
        var unknown = Guid.Parse("5c6f2d0e-8a41-4b7e-9f3c-2d1e0a9b8c7d");

        var same = await Assert.ThrowsAsync<ArgumentException>(() => DbAdmin.CreateCloneAsync(Parent, Parent, store, null, null, parentWal, options, default));
        Assert.Contains("'parent'", same.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, "nowhere", store, null, null, null, options, default));
        Assert.Contains("'nowhere' does not exist", missing.Message, StringComparison.Ordinal);

        var noCheckpoint = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, store, unknown, null, parentWal, options, default));
        Assert.Contains(unknown.ToString(), noCheckpoint.Message, StringComparison.Ordinal);

        var different = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync("other", Parent, store, null, null, parentWal, options, default));
        Assert.Contains("already holds a different database", different.Message, StringComparison.Ordinal);

        var leftovers = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync("junk", Parent, store, null, null, parentWal, options, default));
        Assert.Contains("junk/wal/00000000000000000001.sst", leftovers.Message, StringComparison.Ordinal);

        var wrongWal = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, otherWal, options, default));
        Assert.Contains("memory://parent-wal", wrongWal.Message, StringComparison.Ordinal);
        Assert.Contains("memory://other-wal", wrongWal.Message, StringComparison.Ordinal);

        var noWal = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, null, options, default));
        Assert.Contains("no WAL object store was given", noWal.Message, StringComparison.Ordinal);

        Assert.Equal(before, (await LatestAsync(store, Parent)).Id);
        Assert.Empty(await ListAsync(store, Clone + "/"));
    }

    [Fact]
    public async Task Re_running_a_finished_clone_succeeds_without_writing_and_another_source_or_wal_store_is_refused()
    {
        var (store, cloneWal) = (new InMemoryObjectStore(), new InMemoryObjectStore());
        var time = Clock();
        Guid first, second;
        await using (var db = await OpenAsync(Parent, store, null, time))
        {
            await PutRangeAsync(db, 0, 10, 1);
            first = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
            second = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
        }

        var made = await DbAdmin.CreateCloneAsync(Clone, Parent, store, first, cloneWal, null, Options(time), default);
        var parentBefore = (await LatestAsync(store, Parent)).Id;
        var cloneBefore = (await LatestAsync(store, Clone)).Id;

        var again = await DbAdmin.CreateCloneAsync(Clone, Parent, store, first, cloneWal, null, Options(time), default);
        var unpinned = await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, cloneWal, null, Options(time), default);

        Assert.True(again.AlreadyExisted);
        Assert.True(unpinned.AlreadyExisted);
        Assert.Equal(made with { AlreadyExisted = true, BytesWritten = 0, WalObjectsCopied = 0, WalObjectsSkipped = 0 }, again);
        Assert.Equal(parentBefore, (await LatestAsync(store, Parent)).Id);
        Assert.Equal(cloneBefore, (await LatestAsync(store, Clone)).Id);
        var other = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, store, second, cloneWal, null, Options(time), default));
        Assert.Contains("already holds a different database", other.Message, StringComparison.Ordinal);
        var wal = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, store, first, null, null, Options(time), default));
        Assert.Contains(cloneWal.Uri, wal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_re_run_with_the_same_seed_after_the_parent_pin_landed_unacknowledged_reuses_that_pin()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, store, null, time))
        {
            await PutRangeAsync(db, 0, 10, 1, expected);
        }

        // The parent's short-lived pin lands, but the run fails before it sees the reply.
        var faults = new FaultInjectingObjectStore(store, seed: 3).FailWhen(
            c => c.Operation == ObjectStoreOperation.Put && c.Path.StartsWith("parent/manifest/", StringComparison.Ordinal),
            afterApplying: true,
            transient: false,
            times: 1);
        await Assert.ThrowsAsync<ObjectStoreException>(() => DbAdmin.CreateCloneAsync(Clone, Parent, faults, null, null, null, Options(time), default));

        var result = await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, null, Options(time), default);

        var parent = (await LatestAsync(store, Parent)).Value;
        Assert.Equal(2, parent.Checkpoints.Count);      // the pin (reused) and the clone's final checkpoint
        Assert.NotNull(ManifestCheckpoints.Find(parent, result.ParentCheckpointId));
        Assert.Equal(expected, await ReadDbAsync(Clone, store, null, time));
    }

    [Fact]
    public async Task A_clone_of_a_clone_reads_every_ancestor_and_each_ancestor_keeps_a_final_checkpoint()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, store, null, time))
        {
            await PutRangeAsync(db, 0, 40, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
        }

        var child = await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, null, Options(time), default);
        await using (var db = await OpenAsync(Clone, store, null, time, seed: 2))
        {
            await PutRangeAsync(db, 20, 60, 2, expected);
            await db.FlushAsync(FlushType.MemTable);
            await PutRangeAsync(db, 60, 70, 2, expected);   // WAL only
        }

        var grandchild = await DbAdmin.CreateCloneAsync("grandchild", Clone, store, null, null, null, Options(time, seed: 8), default);

        Assert.Equal(expected, await ReadDbAsync("grandchild", store, null, time));
        var manifest = (await LatestAsync(store, "grandchild")).Value;
        Assert.Equal(new[] { Parent, Clone }, manifest.ExternalDbs.Select(d => d.Path));
        Assert.Equal(child.FinalCheckpointId, manifest.ExternalDbs[0].SourceCheckpointId.ToGuid());
        Assert.NotNull(ManifestCheckpoints.Find((await LatestAsync(store, Parent)).Value, manifest.ExternalDbs[0].FinalCheckpointId.ToGuid()));
        Assert.NotNull(ManifestCheckpoints.Find((await LatestAsync(store, Clone)).Value, grandchild.FinalCheckpointId));
        Assert.Empty(await ListAsync(store, "grandchild/compacted/"));
    }

    [Fact]
    public async Task A_clone_of_a_live_database_holds_a_prefix_of_its_writes_with_everything_acknowledged_before_the_clone()
    {
        var store = new InMemoryObjectStore();
        var time = Clock();
        await using var db = await OpenAsync(Parent, store, null, time);
        var acknowledged = 0;
        using var stop = new CancellationTokenSource();
        using var started = new SemaphoreSlim(0);
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await db.PutAsync(K(i), V(i), NoWait);
                await db.FlushAsync();
                Volatile.Write(ref acknowledged, i + 1);
                if (i == 20)
                {
                    await db.FlushAsync(FlushType.MemTable);
                    started.Release();
                }
            }
        });

        await started.WaitAsync();
        var before = Volatile.Read(ref acknowledged);
        await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, null, Options(time), default);
        await stop.CancelAsync();
        await writer;

        var cloned = await ReadDbAsync(Clone, store, null, time);
        Assert.True(cloned.Count >= before, $"the clone holds {cloned.Count} keys, but {before} were acknowledged before it started");
        var keys = Enumerable.Range(0, cloned.Count).Select(i => System.Text.Encoding.UTF8.GetString(K(i)));
        Assert.Equal(keys, cloned.Keys);
        Assert.Equal(Volatile.Read(ref acknowledged), (await ReadAllAsync(db)).Count);
    }

    // Three WAL objects of data, pinned by a durable checkpoint (no L0 flush): the pinned range starts at the first of them.
    private static async Task<(Guid Checkpoint, ulong FirstId, SortedDictionary<string, string> Expected)> DurableCheckpointWithWalDataAsync(
        IObjectStore store, IObjectStore parentWal, TimeProvider time)
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using var db = await OpenAsync(Parent, store, parentWal, time);
        await PutRangeAsync(db, 0, 30, 1, expected);
        var checkpoint = await db.CreateCheckpointAsync(CheckpointScope.Durable);
        var pinned = await ManifestAsync(store, Parent, checkpoint.ManifestId);
        Assert.True(pinned.NextWalSstId - 1 >= pinned.ReplayAfterWalId + 3);
        return (checkpoint.Id, pinned.ReplayAfterWalId + 1, expected);
    }
}
