using SlateDb.ObjectStore;
using SlateDb.Testing;
using Xunit;
using static SlateDb.Admin.Tests.Clones.CloneKit;

namespace SlateDb.Admin.Tests.Copies;

/// <summary>DbAdmin.CopyAsync: self-contained copies across stores, of clones, from checkpoints; re-runs, bad input, verification.</summary>
public sealed class CopyTests
{
    [Fact]
    public async Task A_copy_from_memory_to_local_files_reads_back_equal_and_stands_alone()
    {
        using var dir = new TempDirectory("copy");
        var (destStore, destWal) = (new LocalFileSystemObjectStore(dir.Combine("main")), new LocalFileSystemObjectStore(dir.Combine("wal")));
        var time = Clock();
        var (store, wal, expected) = await CrashedSourceAsync(time);
        var before = (await LatestAsync(store, Parent)).Value;
        var reports = new SynchronousProgress();

        var result = await DbAdmin.CopyAsync(Parent, store, "backup", destStore, null, wal, destWal, reports, Options(time), default);

        Assert.False(result.AlreadyExisted);
        Assert.True(result.SstsCopied >= 2);
        Assert.Equal(3, result.WalObjectsCopied);
        var last = reports.Last;
        Assert.Equal((last.TotalObjects, last.TotalBytes), (last.DoneObjects, last.DoneBytes));
        Assert.Equal(result.SstsCopied + result.WalObjectsCopied, last.TotalObjects);
        Assert.Equal(result.BytesWritten, last.TotalBytes);

        var manifest = (await LatestAsync(destStore, "backup")).Value;
        Assert.Equal(1UL, (await LatestAsync(destStore, "backup")).Id);
        Assert.True(manifest.Initialized);
        Assert.Empty(manifest.ExternalDbs);
        Assert.Empty(manifest.Checkpoints);
        Assert.Equal(destWal.Uri, manifest.WalObjectStoreUri);
        Assert.Equal(before.WriterEpoch, manifest.WriterEpoch);
        Assert.Equal(before.LastL0Seq, manifest.LastL0Seq);
        Assert.Empty((await LatestAsync(store, Parent)).Value.Checkpoints);   // the short-lived pin is gone

        Assert.Equal(expected, await ReadDbAsync("backup", destStore, destWal, time));
        Assert.Equal(expected, await ReadDbAsync(Parent, store, wal, time));
    }

    [Fact]
    public async Task A_copy_of_a_clone_holds_its_ancestors_ssts_under_its_own_path()
    {
        var (store, destStore) = (new InMemoryObjectStore(), new InMemoryObjectStore());
        var time = Clock();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, store, null, time))
        {
            await PutRangeAsync(db, 0, 40, 1, expected);
            await db.FlushAsync(FlushType.MemTable);
        }

        await DbAdmin.CreateCloneAsync(Clone, Parent, store, null, null, null, Options(time), default);
        await using (var db = await OpenAsync(Clone, store, null, time, seed: 2))
        {
            await PutRangeAsync(db, 30, 50, 2, expected);
            await db.FlushAsync(FlushType.MemTable);
        }

        var result = await DbAdmin.CopyAsync(Clone, store, Clone, destStore, options: Options(time));

        Assert.Equal(2, result.SstsCopied);
        Assert.Equal(2, (await ListAsync(destStore, Clone + "/compacted/")).Count);
        Assert.Empty(await ListAsync(destStore, Parent + "/"));
        Assert.Empty((await LatestAsync(destStore, Clone)).Value.ExternalDbs);
        Assert.Equal(expected, await ReadDbAsync(Clone, destStore, null, time));
    }

    [Fact]
    public async Task A_copy_within_one_store_uses_store_side_copies_and_a_checkpoint_copy_re_runs_without_writing()
    {
        var inner = new InMemoryObjectStore();
        var store = new InstrumentedObjectStore(inner);
        var time = Clock();
        Guid checkpoint;
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using (var db = await OpenAsync(Parent, inner, null, time))
        {
            await PutRangeAsync(db, 0, 30, 1, expected);
            checkpoint = (await db.CreateCheckpointAsync(CheckpointScope.All)).Id;
            await PutRangeAsync(db, 30, 40, 1);
            await db.FlushAsync(FlushType.MemTable);
        }

        var result = await DbAdmin.CopyAsync(Parent, store, "copy", store, checkpoint, options: Options(time));
        Assert.Equal(result.SstsCopied, store.Snapshot().Copies);
        Assert.Equal(checkpoint, result.SourceCheckpointId);
        Assert.Equal(expected, await ReadDbAsync("copy", inner, null, time));

        var before = store.Snapshot();
        var again = await DbAdmin.CopyAsync(Parent, store, "copy2", store, checkpoint, options: Options(time));
        Assert.False(again.AlreadyExisted);
        var rerun = await DbAdmin.CopyAsync(Parent, store, "copy2", store, checkpoint, options: Options(time));
        Assert.True(rerun.AlreadyExisted);
        Assert.Equal(0, rerun.BytesWritten);
        Assert.True(store.Snapshot().Puts - before.Puts > 0);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_the_source_changes()
    {
        var time = Clock();
        var (store, wal, _) = await CrashedSourceAsync(time);
        await using (var other = await OpenAsync("other", store, null, time))
        {
            await PutRangeAsync(other, 0, 5, 1);
        }

        var before = (await LatestAsync(store, Parent)).Id;
        var unknown = Guid.Parse("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d");

        var self = await Assert.ThrowsAsync<ArgumentException>(() => DbAdmin.CopyAsync(Parent, store, Parent, store, sourceWalStore: wal, options: Options(time)));
        Assert.Contains("is the source itself", self.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CopyAsync("nowhere", store, "x", store, options: Options(time)));
        Assert.Contains("'nowhere' does not exist", missing.Message, StringComparison.Ordinal);
        var noCheckpoint = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CopyAsync(Parent, store, "x", store, unknown, wal, options: Options(time)));
        Assert.Contains(unknown.ToString(), noCheckpoint.Message, StringComparison.Ordinal);
        var noWal = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CopyAsync(Parent, store, "x", store, options: Options(time)));
        Assert.Contains("memory://source-wal", noWal.Message, StringComparison.Ordinal);
        var different = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CopyAsync(Parent, store, "other", store, null, wal, options: Options(time)));
        Assert.Contains("already holds a different database", different.Message, StringComparison.Ordinal);

        Assert.Equal(before, (await LatestAsync(store, Parent)).Id);
        Assert.Empty(await ListAsync(store, "x/"));
    }

    [Fact]
    public async Task A_copy_that_does_not_verify_fails_naming_each_bad_sst_and_writes_no_manifest()
    {
        var dest = new CorruptingObjectStore(new InMemoryObjectStore(), "/compacted/");
        var time = Clock();
        var (store, wal, _) = await CrashedSourceAsync(time);

        var e = await Assert.ThrowsAsync<SlateDbException>(() => DbAdmin.CopyAsync(Parent, store, "backup", dest, null, wal, options: Options(time)));

        Assert.Equal(SlateDbErrorKind.Data, e.Kind);
        Assert.NotEmpty(dest.Corrupted);
        Assert.All(dest.Corrupted, path => Assert.Contains(path, e.Message, StringComparison.Ordinal));
        Assert.Empty(await ListAsync(dest, "backup/manifest/"));
    }

    [Fact]
    public async Task A_long_copy_keeps_its_short_lived_pin_alive_and_removes_it_at_the_end()
    {
        var destStore = new InMemoryObjectStore();
        var time = Clock();
        var (store, wal, _) = await CrashedSourceAsync(time);
        var before = (await LatestAsync(store, Parent)).Id;
        var progress = new SynchronousProgress(_ => time.Advance(TimeSpan.FromMinutes(3)));

        var result = await DbAdmin.CopyAsync(Parent, store, "backup", destStore, null, wal, null, progress, Options(time, concurrency: 1));

        // Pin, one refresh per SST (each reported 3 minutes after the last), removal.
        Assert.Equal(before + 2 + (ulong)result.SstsCopied, (await LatestAsync(store, Parent)).Id);
        Assert.Empty((await LatestAsync(store, Parent)).Value.Checkpoints);
    }
}

/// <summary>Collects reports on the reporting thread (Progress&lt;T&gt; would post them elsewhere).</summary>
internal sealed class SynchronousProgress(Action<CopyProgress>? onReport = null) : IProgress<CopyProgress>
{
    private readonly List<CopyProgress> _reports = [];

    public CopyProgress Last
    {
        get
        {
            lock (_reports)
            {
                return _reports.MaxBy(r => (r.DoneObjects, r.DoneBytes))!;
            }
        }
    }

    public void Report(CopyProgress value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }

        onReport?.Invoke(value);
    }
}
