using SlateDb.Layout;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Compaction;

public class CompactionTests
{
    [Fact]
    public async Task L0_becomes_sorted_runs_and_every_read_still_sees_the_newest_versions()
    {
        var store = new InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using (var db = await OpenAsync(store, Small(Policy())))
        {
            for (var version = 1; version <= 4; version++)
            {
                await WriteAsync(db, model, 0, 200, version);
            }

            await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
            var manifest = await AssertReferencedExistAsync(store);
            Assert.True(manifest.L0.Count < 2, $"L0 still holds {manifest.L0.Count} SSTs");
            Assert.NotEmpty(manifest.SortedRuns);
            Assert.True(manifest.SortedRuns.Any(r => r.Ssts.Count > 1), "no run was split into several SSTs of the target size");
            Assert.NotNull(manifest.L0LastCompacted);
            Assert.Equal(manifest.SortedRuns.Select(r => r.Id).OrderByDescending(id => id), manifest.SortedRuns.Select(r => r.Id));
            // The writer's view refreshed at once (its poll interval is an hour).
            Assert.Equal(manifest.L0.Count, db.Engine.State.Current.L0.Length);
            Assert.Equal(manifest.SortedRuns.Select(r => r.Ssts.Count), db.Engine.State.Current.SortedRuns.Select(r => r.Tables.Length));
            await AssertMatchesAsync(db, model);
        }

        await using var reopened = await OpenAsync(store, Small(null));
        await AssertMatchesAsync(reopened, model);
    }

    [Fact]
    public async Task Shadowed_versions_are_dropped_so_the_runs_hold_one_version_per_key()
    {
        var store = new InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(store, Small(Policy()));
        for (var version = 1; version <= 6; version++)
        {
            await WriteAsync(db, model, 0, 50, version, flushEvery: 50);
        }

        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        var manifest = await AssertReferencedExistAsync(store);
        var rows = manifest.SortedRuns.Sum(r => r.Ssts.Sum(h => (long)h.RowCount)) + manifest.L0.Sum(h => (long)h.RowCount);
        Assert.True(rows <= 100, $"{rows} rows remain for 50 keys written 6 times");
        await AssertMatchesAsync(db, model);
    }

    [Fact]
    public async Task A_scan_held_open_across_compactions_returns_the_rows_of_its_start()
    {
        var store = new InMemoryObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(store, Small(Policy(threshold: 3)));
        await WriteAsync(db, model, 0, 150, version: 1);
        var atStart = model.Where(e => e.Value is not null).OrderBy(e => e.Key).Select(e => e.Value!).ToList();

        await using var scan = db.ScanAsync(KeyRange.All);
        var seen = new List<byte[]>();
        for (var i = 0; i < 10; i++)
        {
            seen.Add((await scan.NextAsync())!.Value.Value.ToArray());
        }

        for (var version = 2; version <= 4; version++)
        {
            await WriteAsync(db, model, 0, 150, version);
            await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        }

        Assert.DoesNotContain(db.Engine.State.Current.L0, t => t.Path.Length == 0);
        while (await scan.NextAsync() is { } kv)
        {
            seen.Add(kv.Value.ToArray());
        }

        Assert.Equal(atStart, seen);
        await AssertMatchesAsync(db, model);
    }

    [Fact]
    public async Task Writer_and_compactor_racing_manifest_updates_lose_neither_change()
    {
        var store = new Manifest.HookedObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using var db = await OpenAsync(store.Inner, Small(null));
        await WriteAsync(db, model, 0, 100, version: 1);
        var l0Before = (await LatestManifestAsync(store.Inner)).Value.L0.Count;
        Assert.True(l0Before >= 2);

        // When the compactor is about to publish, the writer publishes an L0 SST first: the compactor's create of that
        // manifest id fails and it re-applies its change on top of the writer's.
        var raced = false;
        var claimed = false;
        store.BeforePut = async (path, _) =>
        {
            // The claim writes a manifest, then the compactor state; the next manifest write is the publication.
            claimed |= path.Contains("/compactions/", StringComparison.Ordinal);
            if (!raced && claimed && path.Contains("/manifest/", StringComparison.Ordinal))
            {
                raced = true;
                await db.PutAsync(K(5000), V(5000), NoWait);
                await db.FlushAsync(FlushType.MemTable);
            }
        };
        model[5000] = V(5000);

        await using (var compactor = await Compactor.OpenAsync(DbPath, store, Small(Policy(threshold: 2)), Clock()))
        {
            await compactor.CompactAsync();
        }

        Assert.True(raced);
        Assert.True(store.Conflicts > 0, "the compactor's manifest write did not conflict");
        var manifest = await AssertReferencedExistAsync(store.Inner);
        Assert.NotEmpty(manifest.SortedRuns);
        var newest = db.Engine.Manifest.Value.L0[0];
        Assert.Contains(manifest.L0, h => h.Id.Equals(newest.Id));   // the writer's L0 publication survived
        await db.Engine.ManifestKeeper.RefreshAsync();
        await AssertMatchesAsync(db, model);
    }

    [Fact]
    public async Task Two_compactors_the_older_is_fenced_and_publishes_nothing()
    {
        var hooked = new Manifest.HookedObjectStore();
        var model = new Dictionary<int, byte[]?>();
        await using (var db = await OpenAsync(hooked.Inner, Small(null)))
        {
            await WriteAsync(db, model, 0, 100, version: 1);
            await db.CloseAsync();
        }

        // The first compactor's first output upload waits until the second compactor has claimed.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hooked.BeforePut = async (path, _) =>
        {
            if (path.Contains("/compacted/", StringComparison.Ordinal))
            {
                blocked.TrySetResult();
                await release.Task;
            }
        };
        var older = await Compactor.OpenAsync(DbPath, hooked, Small(Policy()), Clock());
        var run = older.RunAsync();
        await blocked.Task;
        var before = (await LatestManifestAsync(hooked.Inner)).Value;

        await using var newer = await Compactor.OpenAsync(DbPath, hooked.Inner, Small(Policy()), Clock());
        Assert.True(newer.Epoch > older.Epoch);
        var afterClaim = await LatestManifestAsync(hooked.Inner);
        release.SetResult();

        var error = await Assert.ThrowsAsync<FencedException>(() => run);
        Assert.Contains($"epoch {newer.Epoch}", error.Message, StringComparison.Ordinal);
        await older.DisposeAsync();
        var after = await LatestManifestAsync(hooked.Inner);
        Assert.Equal(afterClaim.Id, after.Id);                       // nothing written after the newer claim
        Assert.Equal(before.L0.Count, after.Value.L0.Count);
        Assert.Empty(after.Value.SortedRuns);

        await newer.CompactAsync();
        hooked.BeforePut = null;
        await using var reopened = await OpenAsync(hooked.Inner, Small(null));
        await AssertMatchesAsync(reopened, model);
        Assert.NotEmpty((await AssertReferencedExistAsync(hooked.Inner)).SortedRuns);
    }

    [Fact]
    public async Task The_compactor_state_lists_a_job_while_it_runs_and_its_outputs_are_at_or_after_its_id()
    {
        var hooked = new Manifest.HookedObjectStore();
        await using (var db = await OpenAsync(hooked.Inner, Small(null)))
        {
            await WriteAsync(db, [], 0, 100, version: 1);
            await db.CloseAsync();
        }

        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var blocked = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        hooked.BeforePut = async (path, _) =>
        {
            if (path.Contains("/compacted/", StringComparison.Ordinal))
            {
                blocked.TrySetResult(path);
                await release.Task;
            }
        };
        await using var compactor = await Compactor.OpenAsync(DbPath, hooked, Small(Policy()), Clock());
        var compacting = compactor.CompactAsync();
        var firstOutput = await blocked.Task;
        var paths = new DbPaths(DbPath);
        var states = new SlateDb.Manifest.SequencedObjectStore<SlateDb.Manifest.Proto.CompactionsState>(
            hooked.Inner, paths.CompactionsPrefix, DbPaths.CompactionsExtension, SlateDb.Manifest.CompactionsCodec.Instance, null, "state");
        var running = (await states.TryReadLatestAsync())!.Value;
        var job = Assert.Single(running.Jobs);
        Assert.Equal(compactor.Epoch, running.CompactorEpoch);
        Assert.True(paths.TryParseCompactedId(firstOutput, out var outputId));
        Assert.True(outputId >= job.Id.ToUlid());

        release.SetResult();
        await compacting;
        Assert.Empty((await states.TryReadLatestAsync())!.Value.Jobs);
    }
}
