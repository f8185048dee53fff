using SlateDb.Compaction;
using SlateDb.Core.Tests.Read;
using SlateDb.Format;
using SlateDb.Layout;
using SlateDb.ObjectStore;
using SlateDb.Read;
using SlateDb.Verify;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Read.TestRows;

namespace SlateDb.Core.Tests.RangeDeletes;

/// <summary>Compaction drops what range tombstones delete for every reader, and the tombstones once nothing is left below.</summary>
public sealed class RangeDeleteCompactionTests
{
    private static readonly RangeTombstoneList AToC = RangeTombstoneList.Build([new RangeTombstone(Bytes("a"), Bytes("c"), 8)]);

    // Sources newest first, merged as a compaction merges them, filtered by the tombstones, then by retention.
    private static async Task<string> CompactAsync(ulong minSeq, bool bottom, RangeTombstoneList tombstones, params Row[][] sources)
    {
        var merge = new MergeIterator(
            sources.Select(rows => (IRowIterator)ArrayRowIterator.FromUnsorted(rows)).ToList(),
            new MergeOptions { NewestOnly = false, HideTombstones = false });
        await using var retained = new RetentionIterator(new RangeTombstoneFilter(merge, tombstones, minSeq), minSeq, bottom);
        return Show(await DrainAsync(retained));
    }

    [Fact]
    public async Task Rows_every_reader_sees_deleted_are_dropped_and_the_tombstone_goes_at_the_bottom()
    {
        Row[] rows = [Put("a", 3, "a3"), Put("b", 9, "b9"), Put("b", 2, "b2"), Put("c", 1, "c1")];

        Assert.Equal("b@9:Put=b9, c@1:Put=c1", await CompactAsync(minSeq: 10, bottom: false, AToC, rows));
        Assert.Equal(1, AToC.Retain(10, bottom: false).TombstoneCount);
        Assert.True(AToC.Retain(10, bottom: true).IsEmpty);
    }

    [Fact]
    public async Task A_tombstone_above_the_oldest_reader_keeps_what_that_reader_sees_and_stays_at_the_bottom()
    {
        // A reader at seq 5 still sees a3 and b2; one at 9 sees the tombstone hide them.
        Row[] rows = [Put("a", 3, "a3"), Put("b", 9, "b9"), Put("b", 2, "b2")];

        Assert.Equal("a@3:Put=a3, b@9:Put=b9, b@2:Put=b2", await CompactAsync(minSeq: 5, bottom: true, AToC, rows));
        Assert.Equal(1, AToC.Retain(5, bottom: true).TombstoneCount);
    }

    [Fact]
    public async Task A_bottom_compaction_reclaims_a_deleted_range_and_its_tombstone()
    {
        var store = new InMemoryObjectStore();
        var settings = Small(Policy(threshold: 2));
        settings.L0SstSizeBytes = 64 * 1024;
        await using (var db = await OpenAsync(store, WithoutCompactor(settings)))
        {
            for (var i = 0; i < 200; i++)
            {
                await db.PutAsync(K(i), V(i), NoWait);
            }

            await db.FlushAsync(FlushType.MemTable);
            await db.DeleteRangeAsync(KeyRange.Between(K(50), K(150)), NoWait);
            await db.FlushAsync(FlushType.MemTable);
            var withTombstone = (await LatestManifestAsync(store)).Value;
            Assert.Contains(withTombstone.L0, h => h.RangeTombstones is not null);

            // The verifier reads the tombstone block and holds the manifest's reach against it.
            var verifier = new DatabaseVerifier(store, store, new DbPaths(DbPath));
            Assert.Empty((await verifier.VerifyAsync(withTombstone, "manifest", null, CancellationToken.None)).Problems);
            var tampered = withTombstone.Clone();
            tampered.L0.First(h => h.RangeTombstones is not null).RangeTombstones = null;
            var problem = Assert.Single((await verifier.VerifyAsync(tampered, "manifest", null, CancellationToken.None)).Problems);
            Assert.Contains("range tombstones", problem.Message);
        }

        await using (var compactor = await Compactor.OpenAsync(DbPath, store, settings, Clock()))
        {
            await compactor.CompactAsync();
        }

        var manifest = await AssertReferencedExistAsync(store);
        Assert.Empty(manifest.L0);
        var run = Assert.Single(manifest.SortedRuns);
        Assert.All(run.Ssts, h => Assert.Null(h.RangeTombstones));
        Assert.Equal(100UL, run.Ssts.Aggregate(0UL, (sum, h) => sum + h.RowCount));

        await using var reopened = await OpenAsync(store, WithoutCompactor(settings));
        Assert.Equal(V(49), await reopened.GetAsync(K(49)));
        Assert.Null(await reopened.GetAsync(K(50)));
        Assert.Null(await reopened.GetAsync(K(149)));
        Assert.Equal(V(150), await reopened.GetAsync(K(150)));
    }

    [Fact]
    public async Task A_transaction_that_wrote_or_scanned_what_a_later_range_delete_covers_conflicts()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        await db.PutAsync(K(5), V(5), NoWait);
        await using (var writer = db.BeginTransaction())
        {
            Assert.Equal(V(5), await writer.GetAsync(K(5)));
            writer.Put(K(5), V(5, 2));
            await db.DeleteRangeAsync(KeyRange.Between(K(0), K(10)), NoWait);
            await Assert.ThrowsAsync<TransactionConflictException>(() => writer.CommitAsync(NoWait));
        }

        await using (var scanner = db.BeginTransaction(TransactionIsolation.SerializableSnapshot))
        {
            await foreach (var _ in scanner.ScanAsync(KeyRange.Between(K(20), K(40))))
            {
            }

            scanner.Put(K(901), V(901));
            await db.DeleteRangeAsync(KeyRange.From(K(30)), NoWait);
            await Assert.ThrowsAsync<TransactionConflictException>(() => scanner.CommitAsync(NoWait));
        }

        await using var unrelated = db.BeginTransaction();
        Assert.Null(await unrelated.GetAsync(K(5)));
        unrelated.Put(K(902), V(902));
        await db.DeleteRangeAsync(KeyRange.Between(K(100), K(110)), NoWait);
        await unrelated.CommitAsync(NoWait);
        Assert.Equal(V(902), await db.GetAsync(K(902)));
    }

    private static Settings WithoutCompactor(Settings settings)
    {
        var copy = settings.Clone();
        copy.Compactor = null;
        return copy;
    }
}
