using SlateDb.ObjectStore;
using SlateDb.Testing.Merging;
using Xunit;
using static SlateDb.Core.Tests.Compaction.CompactionKit;
using static SlateDb.Core.Tests.Db.DbKit;
using static SlateDb.Core.Tests.Merging.MergeDbTests;

namespace SlateDb.Core.Tests.Merging;

/// <summary>Merge operands over a range tombstone: operands newer than the tombstone apply to nothing below it.</summary>
public class MergeRangeDeleteTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Operands_merged_after_a_range_delete_ignore_the_deleted_values_on_every_read_path_and_through_flush_and_compaction(bool flushBetween)
    {
        var settings = Small(Policy());
        settings.MergeOperator = new AppendOperator();
        settings.Gc = null;
        await using var db = await OpenAsync(new InMemoryObjectStore(), settings);
        await db.PutAsync("a", "base", NoWait);
        await db.MergeAsync("b", "+old", NoWait);
        await db.PutAsync("z", "kept", NoWait);
        if (flushBetween)
        {
            await db.FlushAsync(FlushType.MemTable);
        }

        await db.DeleteRangeAsync(KeyRange.Between(U("a"), U("c")), NoWait);
        await db.MergeAsync("a", "+1", NoWait);
        await db.MergeAsync("b", "+2", NoWait);

        await AssertReadsAsync(db, "after the writes");
        await db.FlushAsync(FlushType.MemTable);
        await AssertReadsAsync(db, "after a memtable flush");
        await db.PutAsync("y", "more", NoWait);
        await db.FlushAsync(FlushType.MemTable);
        await db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        Assert.NotEmpty(db.Engine.State.Current.SortedRuns);
        await AssertReadsAsync(db, "after compaction");

        static async Task AssertReadsAsync(SlateDb.Db db, string when)
        {
            Assert.True("+1" == S(await db.GetAsync("a")), when);
            Assert.True("+2" == S(await db.GetAsync("b")), when);
            Assert.Equal(["+1", "+2", "kept"], (await db.GetManyAsync([U("a"), U("b"), U("z")])).Select(S));
            var all = await ScanAsync(db.ScanAsync(KeyRange.All));
            Assert.Equal(["a=+1", "b=+2"], all.Take(2));
            Assert.Contains("z=kept", all);
        }
    }
}
