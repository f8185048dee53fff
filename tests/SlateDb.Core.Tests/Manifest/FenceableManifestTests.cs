using Microsoft.Extensions.Time.Testing;
using SlateDb.Manifest;
using SlateDb.Manifest.Proto;
using Xunit;

namespace SlateDb.Core.Tests.Manifest;

public class FenceableManifestTests
{
    private readonly HookedObjectStore _store = new();
    private readonly ManifestStore _manifests;

    public FenceableManifestTests() => _manifests = new ManifestStore(_store, "orders", new FakeTimeProvider());

    [Fact]
    public async Task Claiming_an_empty_database_creates_manifest_1_and_claims_epoch_1_in_manifest_2()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);

        var first = await _manifests.ReadAsync(1);
        Assert.Equal(ManifestDefaults.NewDatabase(), first.Value);
        Assert.Equal(1UL, writer.WriterEpoch);
        Assert.Equal(2UL, writer.Current.Id);
        Assert.Equal(1UL, writer.Current.Value.WriterEpoch);
        Assert.True(writer.Current.Value.Initialized);
        Assert.Equal(1UL, writer.Current.Value.NextWalSstId);
        Assert.Equal(long.MinValue, writer.Current.Value.L0ClockTick);
    }

    [Fact]
    public async Task Each_claim_takes_the_stored_epoch_plus_one()
    {
        var a = await FenceableManifest.ClaimWriterAsync(_manifests);
        var b = await FenceableManifest.ClaimWriterAsync(_manifests);
        var c = await FenceableManifest.ClaimWriterAsync(_manifests);

        Assert.Equal([1UL, 2UL, 3UL], new[] { a.WriterEpoch, b.WriterEpoch, c.WriterEpoch });
        Assert.Equal(4UL, c.Current.Id);
    }

    [Fact]
    public async Task A_fenced_writer_update_throws_and_writes_nothing()
    {
        var a = await FenceableManifest.ClaimWriterAsync(_manifests);
        var b = await FenceableManifest.ClaimWriterAsync(_manifests);
        var idsBefore = await CountManifestsAsync();
        _store.ResetCounts();

        var e = await Assert.ThrowsAsync<FencedException>(() => a.UpdateAsync(m =>
        {
            m.LastL0Seq = 77;
            return m;
        }));

        Assert.Equal(SlateDbErrorKind.Fenced, e.Kind);
        Assert.Contains("epoch 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("'orders'", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, _store.Conflicts); // the attempt built on A's stale view lost to B's claim
        Assert.Equal(idsBefore, await CountManifestsAsync());
        Assert.Equal(0UL, (await _manifests.TryReadLatestAsync())!.Value.LastL0Seq);
        Assert.Equal(b.Current.Id, (await _manifests.TryReadLatestAsync())!.Id);
    }

    [Fact]
    public async Task A_fenced_writer_refresh_throws()
    {
        var a = await FenceableManifest.ClaimWriterAsync(_manifests);
        await FenceableManifest.ClaimWriterAsync(_manifests);

        var e = await Assert.ThrowsAsync<FencedException>(() => a.RefreshAsync());

        Assert.Contains("A newer writer (epoch 2) owns 'orders'", e.Message, StringComparison.Ordinal);
        Assert.Equal(2UL, a.Current.Id);
    }

    [Fact]
    public async Task The_current_writer_keeps_updating_after_fencing_an_older_one()
    {
        var a = await FenceableManifest.ClaimWriterAsync(_manifests);
        var b = await FenceableManifest.ClaimWriterAsync(_manifests);
        await Assert.ThrowsAsync<FencedException>(() => a.UpdateAsync(m => m));

        var written = await b.UpdateAsync(m =>
        {
            m.LastL0Seq = 10;
            return m;
        });

        Assert.Equal(4UL, written.Id);
        Assert.Same(written, b.Current);
        Assert.Equal(10UL, (await b.RefreshAsync()).Value.LastL0Seq);
    }

    [Fact]
    public async Task An_uncontended_update_is_one_put_without_listing()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        _store.ResetCounts();

        await writer.UpdateAsync(m =>
        {
            m.NextWalSstId = 5;
            return m;
        });

        Assert.Equal(1, _store.Puts);
        Assert.Equal(0, _store.Lists);
        Assert.Equal(0, _store.Gets); // it follows the claim's own write: no GC-boundary read
    }

    [Fact]
    public async Task An_update_that_conflicts_with_a_compactor_re_reads_and_keeps_both_changes()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        var compactor = await FenceableManifest.ClaimCompactorAsync(_manifests);
        await compactor.UpdateAsync(m =>
        {
            m.SortedRuns.Add(new SortedRun { Id = 1 });
            return m;
        });

        var written = await writer.UpdateAsync(m =>
        {
            m.LastL0Seq = 33;
            return m;
        });

        Assert.Equal(5UL, written.Id);
        Assert.Equal(33UL, written.Value.LastL0Seq);
        Assert.Single(written.Value.SortedRuns);
        Assert.Equal(1UL, written.Value.CompactorEpoch);
        Assert.Equal(1UL, compactor.Epoch);
        Assert.Throws<InvalidOperationException>(() => compactor.WriterEpoch);
    }

    [Fact]
    public async Task Writer_and_compactor_epochs_do_not_fence_each_other()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        var compactor = await FenceableManifest.ClaimCompactorAsync(_manifests);
        await FenceableManifest.ClaimCompactorAsync(_manifests);

        await writer.RefreshAsync();
        await Assert.ThrowsAsync<FencedException>(() => compactor.RefreshAsync());
    }

    [Fact]
    public async Task A_stored_epoch_below_ours_is_an_invariant_violation()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        var latest = (await _manifests.TryReadLatestAsync())!;
        var rolledBack = latest.Value.Clone();
        rolledBack.WriterEpoch = 0;
        await _manifests.TryWriteNextAsync(latest, rolledBack);

        var e = await Assert.ThrowsAsync<SlateDbException>(() => writer.RefreshAsync());

        Assert.Equal(SlateDbErrorKind.Internal, e.Kind);
    }

    [Fact]
    public async Task A_mutation_that_changes_the_epoch_is_refused()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        var idsBefore = await CountManifestsAsync();

        var e = await Assert.ThrowsAsync<SlateDbException>(() => writer.UpdateAsync(m =>
        {
            m.WriterEpoch = 5;
            return m;
        }));

        Assert.Equal(SlateDbErrorKind.Internal, e.Kind);
        Assert.Equal(idsBefore, await CountManifestsAsync());
    }

    [Fact]
    public async Task A_null_mutation_returns_current_without_writing()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        _store.ResetCounts();

        var result = await writer.UpdateAsync(_ => null);

        Assert.Same(writer.Current, result);
        Assert.Equal(0, _store.Puts);
    }

    [Fact]
    public async Task A_writer_refuses_an_unfinished_clone_without_claiming()
    {
        var clone = ManifestDefaults.NewDatabase();
        clone.Initialized = false;
        await _manifests.CreateOrReadLatestAsync(clone);

        var e = await Assert.ThrowsAsync<SlateDbException>(() => FenceableManifest.ClaimWriterAsync(_manifests));

        Assert.Equal(SlateDbErrorKind.Invalid, e.Kind);
        Assert.Contains("re-run", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, await CountManifestsAsync());
    }

    [Fact]
    public async Task Concurrent_claims_get_distinct_epochs_and_only_the_highest_survives()
    {
        await _manifests.CreateOrReadLatestAsync(ManifestDefaults.NewDatabase());
        _store.BeforePut = async (_, _) => await Task.Yield();

        var claims = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => FenceableManifest.ClaimWriterAsync(_manifests))));

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (ulong)i), claims.Select(c => c.WriterEpoch).Order());
        foreach (var claim in claims)
        {
            if (claim.WriterEpoch == 8)
            {
                await claim.RefreshAsync();
            }
            else
            {
                await Assert.ThrowsAsync<FencedException>(() => claim.UpdateAsync(m => m));
            }
        }
    }

    [Fact]
    public async Task Concurrent_updates_of_one_writer_all_land_and_current_only_moves_forward()
    {
        var writer = await FenceableManifest.ClaimWriterAsync(_manifests);
        _store.BeforePut = async (_, _) => await Task.Yield();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => writer.UpdateAsync(m =>
        {
            m.RecentSnapshotMinSeq++;
            return m;
        }))));

        Assert.Equal(10UL, writer.Current.Id);
        Assert.Equal(8UL, writer.Current.Value.RecentSnapshotMinSeq);
    }

    private async Task<int> CountManifestsAsync()
    {
        var count = 0;
        await foreach (var _ in _manifests.ListIdsAsync())
        {
            count++;
        }

        return count;
    }
}
