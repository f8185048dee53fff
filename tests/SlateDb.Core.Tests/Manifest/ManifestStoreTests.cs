using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using SlateDb.ObjectStore;
using Xunit;

namespace SlateDb.Core.Tests.Manifest;

public class ManifestStoreTests
{
    private readonly HookedObjectStore _store = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ManifestStore _manifests;

    public ManifestStoreTests() => _manifests = new ManifestStore(_store, "db", _time);

    [Fact]
    public async Task An_empty_database_has_no_latest_manifest()
    {
        Assert.Null(await _manifests.TryReadLatestAsync());
        Assert.Empty(await ListIdsAsync());
    }

    [Fact]
    public async Task CreateOrReadLatest_creates_manifest_1_once_and_then_returns_the_latest()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        await _manifests.UpdateAsync(v => Bump(v.Value));

        var again = await _manifests.CreateOrReadLatestAsync(new ManifestData { WriterEpoch = 99, Initialized = true });

        Assert.Equal(1UL, first.Id);
        Assert.True(first.Value.Initialized);
        Assert.Equal(2UL, again.Id);
        Assert.Equal(1UL, again.Value.LastL0Seq);
        Assert.True(_store.Inner.Count == 2, "no other object was written");
        Assert.Equal("db/manifest/00000000000000000001.manifest", _manifests.PathOf(1));
    }

    [Fact]
    public async Task CreateOrReadLatest_that_loses_the_create_race_returns_the_winner()
    {
        var winner = new ManifestData { Initialized = true, WriterEpoch = 5 };
        _store.BeforePut = async (path, _) =>
        {
            _store.BeforePut = null;
            await _store.Inner.PutAsync(path, ManifestCodec.Instance.Encode(winner), PutMode.Create);
        };

        var result = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());

        Assert.Equal(1UL, result.Id);
        Assert.Equal(5UL, result.Value.WriterEpoch);
    }

    [Fact]
    public async Task TryWriteNext_loses_cleanly_to_an_existing_id()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var winner = await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone()));
        var before = (await _store.Inner.GetAsync("db/manifest/00000000000000000002.manifest")).Bytes.ToArray();

        var loser = await _manifests.TryWriteNextAsync(first, new ManifestData { WriterEpoch = 42, Initialized = true });

        Assert.NotNull(winner);
        Assert.Equal(2UL, winner.Id);
        Assert.Null(loser);
        Assert.Equal(before, (await _store.Inner.GetAsync("db/manifest/00000000000000000002.manifest")).Bytes.ToArray());
        Assert.Equal(0UL, (await _manifests.ReadAsync(2)).Value.WriterEpoch);
    }

    [Fact]
    public async Task Reading_a_missing_id_passes_ObjectNotFound_through()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());

        var e = await Assert.ThrowsAsync<ObjectNotFoundException>(() => _manifests.ReadAsync(2));

        Assert.Equal("db/manifest/00000000000000000002.manifest", e.Path);
    }

    [Fact]
    public async Task Listing_and_reading_the_latest_ignore_names_that_are_not_manifest_ids()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        await _manifests.UpdateAsync(v => Bump(v.Value));
        foreach (var junk in new[]
                 {
                     "db/manifest/notes.txt",
                     "db/manifest/3.manifest",
                     "db/manifest/00000000000000000003.manifest.tmp",
                     "db/manifest/0000000000000000003.manifest",
                     "db/manifest/000000000000000000003.manifest",
                     "db/manifest/+0000000000000000003.manifest",
                     "db/manifest/sub/00000000000000000004.manifest",
                     "db/manifest/99999999999999999999.manifest",
                     "db/manifest/0000000000000000000a.manifest",
                     "db/manifest/00000000000000000005.compactions",
                     "db/manifest-old/00000000000000000009.manifest",
                     "db/wal/00000000000000000009.manifest",
                 })
        {
            await _store.Inner.PutAsync(junk, Encoding.UTF8.GetBytes("junk"), PutMode.Create);
        }

        var latest = await _manifests.TryReadLatestAsync();

        Assert.Equal([1UL, 2UL], await ListIdsAsync());
        Assert.Equal(2UL, latest!.Id);
    }

    [Fact]
    public async Task Listing_honours_inclusive_bounds()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        for (var i = 0; i < 5; i++)
        {
            await _manifests.UpdateAsync(v => Bump(v.Value));
        }

        Assert.Equal([2UL, 3UL, 4UL], await ListIdsAsync(2, 4));
        Assert.Equal([5UL, 6UL], await ListIdsAsync(fromId: 5));
        Assert.Equal([1UL], await ListIdsAsync(toId: 1));
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], await ListIdsAsync(fromId: 0));
        Assert.Empty(await ListIdsAsync(7, 9));
    }

    [Fact]
    public async Task Reading_the_latest_probes_the_ids_after_the_newest_known_and_lists_only_past_the_probe_limit()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var other = new ManifestStore(_store, "db", _time);
        _store.ResetCounts();

        // Nothing new: one GET of the next id, no LIST.
        Assert.Equal(1UL, (await _manifests.TryReadLatestAsync())!.Id);
        Assert.Equal((0, 1), (_store.Lists, _store.Gets));

        // Two versions written elsewhere: GET 2, GET 3, GET 4 (absent).
        var v2 = await other.TryWriteNextAsync((await other.TryReadLatestAsync())!, Bump(first.Value.Clone()));
        var v3 = await other.TryWriteNextAsync(v2!, Bump(v2!.Value.Clone()));
        _store.ResetCounts();
        var latest = await _manifests.TryReadLatestAsync();
        Assert.Equal((3UL, v3!.Value.LastL0Seq), (latest!.Id, latest.Value.LastL0Seq));
        Assert.Equal((0, 3), (_store.Lists, _store.Gets));

        // More new versions than probes: it lists.
        var current = v3;
        for (var i = 0; i < SequencedObjectStore<ManifestData>.MaxProbes + 2; i++)
        {
            current = await other.TryWriteNextAsync(current!, Bump(current!.Value.Clone()));
        }

        _store.ResetCounts();
        Assert.Equal(current!.Id, (await _manifests.TryReadLatestAsync())!.Id);
        Assert.Equal(1, _store.Lists);
    }

    [Fact]
    public async Task A_latest_manifest_deleted_between_list_and_get_is_re_listed()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var second = await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone()));
        _store.ResetCounts();
        _store.BeforeGet = async path =>
        {
            if (path == _manifests.PathOf(2))
            {
                // A writer adds 3 and GC collects 2 after the listing saw 2 as the latest.
                _store.BeforeGet = null;
                await _manifests.TryWriteNextAsync(second!, Bump(second!.Value.Clone()));
                await _store.Inner.DeleteAsync(path);
            }
        };

        // A reader that knows no version yet lists.
        var latest = await new ManifestStore(_store, "db", _time).TryReadLatestAsync();

        Assert.Equal(3UL, latest!.Id);
        Assert.Equal(2UL, latest.Value.LastL0Seq);
        Assert.Equal(2, _store.Lists);
    }

    [Fact]
    public async Task A_corrupt_latest_manifest_is_reported_not_skipped()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        await _store.Inner.PutAsync(_manifests.PathOf(2), new byte[] { 1, 2, 3 }, PutMode.Create);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => _manifests.TryReadLatestAsync());

        Assert.Equal(_manifests.PathOf(2), e.ObjectPath);
    }

    [Fact]
    public async Task Two_concurrent_updates_both_land_and_neither_change_is_lost()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var bothRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = 0;
        _store.BeforePut = async (_, _) =>
        {
            // Hold the first put of each updater until both have built their change on manifest 1.
            if (Interlocked.Increment(ref waiting) == 2)
            {
                bothRead.SetResult();
            }

            await bothRead.Task;
        };
        var a = Guid.Parse("00000000-0000-4000-8000-00000000000a");
        var b = Guid.Parse("00000000-0000-4000-8000-00000000000b");

        var results = await Task.WhenAll(
            Task.Run(() => _manifests.UpdateAsync(v => AddCheckpoint(v, a))),
            Task.Run(() => _manifests.UpdateAsync(v => AddCheckpoint(v, b))));

        var latest = (await _manifests.TryReadLatestAsync())!;
        Assert.Equal(3UL, latest.Id);
        Assert.Equal(new HashSet<Guid> { a, b }, latest.Value.Checkpoints.Select(c => c.Id.ToGuid()).ToHashSet());
        Assert.Equal(new HashSet<ulong> { 2, 3 }, results.Select(r => r.Id).ToHashSet());
        Assert.Equal(1, _store.Conflicts);
    }

    [Fact]
    public async Task Sixteen_concurrent_updaters_incrementing_ten_times_each_reach_160_with_dense_ids()
    {
        const int updaters = 16;
        const int increments = 10;
        var manifests = new ManifestStore(_store, "db", _time, maxUpdateAttempts: 100_000, updateTimeout: TimeSpan.FromHours(1));
        await manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.BeforePut = async (_, _) => await Task.Yield();

        await Task.WhenAll(Enumerable.Range(0, updaters).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < increments; i++)
            {
                await manifests.UpdateAsync(v => Bump(v.Value));
            }
        })));

        var latest = (await manifests.TryReadLatestAsync())!;
        Assert.Equal((ulong)(updaters * increments), latest.Value.LastL0Seq);
        Assert.Equal(Enumerable.Range(1, (updaters * increments) + 1).Select(i => (ulong)i), await ListIdsAsync());
    }

    [Fact]
    public async Task A_null_mutation_writes_nothing_and_returns_the_latest()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        await _manifests.UpdateAsync(v => Bump(v.Value));
        _store.ResetCounts();

        var result = await _manifests.UpdateAsync(_ => null);

        Assert.Equal(2UL, result.Id);
        Assert.Equal(0, _store.Puts);
    }

    [Fact]
    public async Task The_mutation_gets_a_clone_and_the_stored_versions_stay_untouched()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        ManifestData? seen = null;

        await _manifests.UpdateAsync(first, v =>
        {
            seen = v.Value;
            v.Value.WriterEpoch = 9;
            return v.Value;
        });

        Assert.NotSame(first.Value, seen);
        Assert.Equal(0UL, first.Value.WriterEpoch);
    }

    [Fact]
    public async Task A_throwing_mutation_aborts_without_writing()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.ResetCounts();

        await Assert.ThrowsAsync<FencedException>(() => _manifests.UpdateAsync(_ => throw new FencedException("stop")));

        Assert.Equal(0, _store.Puts);
        Assert.Equal([1UL], await ListIdsAsync());
    }

    [Fact]
    public async Task Updating_a_database_without_manifests_is_a_data_error()
    {
        var e = await Assert.ThrowsAsync<SlateDbException>(() => _manifests.UpdateAsync(v => v.Value));

        Assert.Equal(SlateDbErrorKind.Data, e.Kind);
        Assert.Contains("'db'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_update_that_always_conflicts_gives_up_after_the_attempt_bound()
    {
        var manifests = new ManifestStore(_store, "db", _time, maxUpdateAttempts: 5, updateTimeout: TimeSpan.FromHours(1));
        await manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.BeforePut = (path, _) => throw new ObjectAlreadyExistsException(path, _store.Uri);
        _store.ResetCounts();

        var e = await Assert.ThrowsAsync<SlateDbException>(() => manifests.UpdateAsync(v => Bump(v.Value)));

        Assert.Equal(SlateDbErrorKind.Conflict, e.Kind);
        Assert.Contains("'db'", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, _store.Puts);
    }

    [Fact]
    public async Task An_update_that_always_conflicts_gives_up_after_the_timeout()
    {
        var manifests = new ManifestStore(_store, "db", _time, maxUpdateAttempts: 1000, updateTimeout: TimeSpan.FromMinutes(5));
        await manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.BeforePut = (path, _) =>
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            throw new ObjectAlreadyExistsException(path, _store.Uri);
        };
        _store.ResetCounts();

        var e = await Assert.ThrowsAsync<SlateDbException>(() => manifests.UpdateAsync(v => Bump(v.Value)));

        Assert.Equal(SlateDbErrorKind.Conflict, e.Kind);
        Assert.Equal(5, _store.Puts);
    }

    [Fact]
    public async Task A_write_that_recreates_an_id_below_the_gc_boundary_is_a_conflict_and_the_update_rebuilds_on_the_latest()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        for (var i = 0; i < 4; i++)
        {
            await _manifests.UpdateAsync(v => Bump(v.Value));
        }

        // GC advanced the boundary and collected 2..4; a writer stalled on manifest 1 now resumes.
        await _store.Inner.PutAsync("db/gc/manifest.boundary", "4"u8.ToArray(), PutMode.Overwrite);
        for (ulong id = 2; id <= 4; id++)
        {
            await _store.Inner.DeleteAsync(_manifests.PathOf(id));
        }

        var orphan = await _manifests.TryWriteNextAsync(first, new ManifestData { Initialized = true, LastL0Seq = 1000 });
        var updated = await _manifests.UpdateAsync(first, v => Bump(v.Value));

        Assert.Null(orphan);
        Assert.Equal(4UL, await _manifests.ReadGcBoundaryAsync());
        Assert.Equal(6UL, updated.Id);
        Assert.Equal(5UL, updated.Value.LastL0Seq);
        Assert.Equal(6UL, (await _manifests.TryReadLatestAsync())!.Id);
    }

    [Fact]
    public async Task A_write_that_landed_is_reported_landed_when_the_gc_boundary_cannot_be_read()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.BeforeGet = path => path.EndsWith("manifest.boundary", StringComparison.Ordinal)
            ? throw new ObjectStoreException(path, _store.Uri, "injected outage", isTransient: true)
            : Task.CompletedTask;

        var written = await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone()));
        var updated = await _manifests.UpdateAsync(written!, v => Bump(v.Value));

        Assert.Equal(2UL, written!.Id);
        Assert.Equal(3UL, updated.Id);
        Assert.Equal(2UL, updated.Value.LastL0Seq);
    }

    [Fact]
    public async Task A_landed_write_below_a_newer_version_is_a_conflict_when_the_gc_boundary_cannot_be_read()
    {
        // Another process created manifest 1; this one read it, so it has no chain of its own to rely on.
        await new ManifestStore(_store, "db", _time).CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var first = (await _manifests.TryReadLatestAsync())!;
        _time.Advance(SequencedObjectStore<ManifestData>.ChainWindow);
        await _store.Inner.PutAsync(_manifests.PathOf(5), ManifestCodec.Instance.Encode(Bump(first.Value.Clone())), PutMode.Create);
        _store.BeforeGet = path => path.EndsWith("manifest.boundary", StringComparison.Ordinal)
            ? throw new ObjectStoreException(path, _store.Uri, "injected outage", isTransient: true)
            : Task.CompletedTask;

        // Manifest 2 may be an orphan recreated under manifest 5: unconfirmed, so a conflict, never a failure.
        Assert.Null(await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone())));
        Assert.True(await _store.Inner.HeadAsync(_manifests.PathOf(2)) is not null, "the write landed");
    }

    [Fact]
    public async Task Updates_that_follow_their_own_recent_write_skip_the_gc_boundary_read()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var boundaryReads = 0;
        _store.BeforeGet = path =>
        {
            boundaryReads += path.EndsWith("manifest.boundary", StringComparison.Ordinal) ? 1 : 0;
            return Task.CompletedTask;
        };

        var second = await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone()));
        _time.Advance(SequencedObjectStore<ManifestData>.ChainWindow - TimeSpan.FromSeconds(1));
        var third = await _manifests.TryWriteNextAsync(second!, Bump(second!.Value.Clone()));

        Assert.Equal(3UL, third!.Id);
        Assert.Equal(0, boundaryReads);
    }

    [Fact]
    public async Task An_update_after_the_chain_window_or_from_a_read_version_reads_the_gc_boundary()
    {
        var first = await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        await _store.Inner.PutAsync("db/gc/manifest.boundary", "2"u8.ToArray(), PutMode.Overwrite);

        // The window has passed: manifest 2 may have been created by another writer and deleted meanwhile.
        _time.Advance(SequencedObjectStore<ManifestData>.ChainWindow);
        Assert.Null(await _manifests.TryWriteNextAsync(first, Bump(first.Value.Clone())));

        // A version this register only read never vouches for its successor.
        var other = new ManifestStore(_store, "db", _time);
        var read = await other.ReadAsync(2);
        await _store.Inner.PutAsync("db/gc/manifest.boundary", "3"u8.ToArray(), PutMode.Overwrite);
        Assert.Null(await other.TryWriteNextAsync(read, Bump(read.Value.Clone())));
    }

    [Fact]
    public async Task A_reader_back_after_the_window_lists_instead_of_stopping_at_a_kept_version_below_a_collected_one()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var other = new ManifestStore(_store, "db", _time);
        for (var i = 0; i < 5; i++)
        {
            await other.UpdateAsync(v => Bump(v.Value));
        }

        // Much later GC kept manifest 2 (a checkpoint pins it) and collected 3..5 below the latest, 6.
        _time.Advance(TimeSpan.FromMinutes(10));
        await _store.Inner.PutAsync("db/gc/manifest.boundary", "5"u8.ToArray(), PutMode.Overwrite);
        for (ulong id = 3; id <= 5; id++)
        {
            await _store.Inner.DeleteAsync(_manifests.PathOf(id));
        }

        // Probing 2, 3 would take the missing 3 for the end of the chain.
        Assert.Equal(6UL, (await _manifests.TryReadLatestAsync())!.Id);
    }

    [Fact]
    public async Task A_poll_within_the_window_is_one_get()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        var gets = 0;
        _store.BeforeGet = _ =>
        {
            gets++;
            return Task.CompletedTask;
        };

        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(1UL, (await _manifests.TryReadLatestAsync())!.Id);
        }

        Assert.Equal(30, gets);
        Assert.Equal(1, _store.Lists); // the first read only
    }

    [Fact]
    public async Task A_malformed_gc_boundary_is_corruption()
    {
        await _store.Inner.PutAsync("db/gc/manifest.boundary", "four"u8.ToArray(), PutMode.Overwrite);

        var e = await Assert.ThrowsAsync<CorruptionException>(() => _manifests.ReadGcBoundaryAsync());

        Assert.Equal("db/gc/manifest.boundary", e.ObjectPath);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/db")]
    [InlineData("db/")]
    [InlineData("a/../b")]
    public void An_invalid_database_path_is_rejected_naming_it(string path)
    {
        var e = Assert.Throws<ArgumentException>(() => new ManifestStore(_store, path));

        Assert.Contains($"'{path}'", e.Message, StringComparison.Ordinal);
    }

    private async Task<List<ulong>> ListIdsAsync(ulong? fromId = null, ulong? toId = null)
    {
        var ids = new List<ulong>();
        await foreach (var id in _manifests.ListIdsAsync(fromId, toId))
        {
            ids.Add(id);
        }

        return ids;
    }

    private static ManifestData Bump(ManifestData manifest)
    {
        manifest.LastL0Seq++;
        return manifest;
    }

    private static ManifestData AddCheckpoint(Versioned<ManifestData> version, Guid id)
    {
        version.Value.Checkpoints.Add(TestManifests.Checkpoint(id, version.Id + 1));
        return version.Value;
    }
}
