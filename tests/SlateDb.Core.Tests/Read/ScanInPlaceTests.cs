using System.Text;
using SlateDb.ObjectStore;
using SlateDb.Testing.Merging;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Read;

/// <summary>
/// Rows read in place (<see cref="DbIterator.MoveNextAsync"/> and <see cref="DbIterator.Current"/>): the same rows as
/// <see cref="DbIterator.NextAsync"/> from every kind of source, mixable with it, and a scan that keeps its forward-only
/// seek rule and its error model.
/// </summary>
public sealed class ScanInPlaceTests
{
    [Fact]
    public async Task In_place_rows_are_the_rows_NextAsync_returns_over_memtables_L0_SSTs_deletes_range_deletes_and_merges()
    {
        await using var db = await OpenMixedAsync();
        foreach (var range in new[] { KeyRange.All, KeyRange.From(K(37)), KeyRange.Between(K(120), K(260)), KeyRange.Prefix(Encoding.UTF8.GetBytes("key-001")) })
        {
            var copied = new List<(string, string, ulong)>();
            await using (var scan = db.ScanAsync(range))
            {
                while (await scan.NextAsync() is { } kv)
                {
                    copied.Add(Text(kv));
                }
            }

            var inPlace = new List<(string, string, ulong)>();
            await using (var scan = db.ScanAsync(range))
            {
                Assert.Equal(default, scan.Current);
                while (await scan.MoveNextAsync())
                {
                    inPlace.Add(Text(scan.Current));
                }

                Assert.Equal(default, scan.Current);
                Assert.False(await scan.MoveNextAsync());
            }

            Assert.NotEmpty(copied);
            Assert.Equal(copied, inPlace);
        }
    }

    [Fact]
    public async Task In_place_moves_and_copying_moves_mix_in_one_scan()
    {
        await using var db = await OpenMixedAsync();
        var expected = new List<(string, string, ulong)>();
        await foreach (var kv in db.ScanAsync(KeyRange.All))
        {
            expected.Add(Text(kv));
        }

        var rows = new List<(string, string, ulong)>();
        var kept = new List<KeyValue>();
        await using (var scan = db.ScanAsync(KeyRange.All))
        {
            for (var i = 0; ; i++)
            {
                if (i % 3 == 0)
                {
                    if (await scan.NextAsync() is not { } kv)
                    {
                        break;
                    }

                    Assert.Equal(default, scan.Current);   // a copying move leaves nothing in place
                    kept.Add(kv);
                    rows.Add(Text(kv));
                }
                else
                {
                    if (!await scan.MoveNextAsync())
                    {
                        break;
                    }

                    rows.Add(Text(scan.Current));
                }
            }
        }

        Assert.Equal(expected, rows);

        // The rows NextAsync returned are the caller's: unchanged by the in-place moves after them.
        Assert.Equal(expected.Where((_, i) => i % 3 == 0), kept.Select(Text));
    }

    [Fact]
    public async Task A_seek_after_in_place_rows_moves_forward_only_even_once_the_scan_has_ended()
    {
        await using var db = await OpenMixedAsync();
        await using var scan = db.ScanAsync(KeyRange.Between(K(10), K(20)));
        string? last = null;
        while (await scan.MoveNextAsync())
        {
            last = Encoding.UTF8.GetString(scan.Current.Key.Span);
        }

        Assert.Equal("key-00019", last);

        // The sources moved past the end to find it; the last key returned is still the one the rule compares with.
        var back = await Assert.ThrowsAsync<ArgumentException>(async () => await scan.SeekAsync(K(19)));
        Assert.Contains(Convert.ToHexString(K(19)), back.Message, StringComparison.Ordinal);

        // A scan that ended on deleted rows: the sources' keys moved on to them, the last key returned did not.
        await using (var deleting = await OpenAsync(new InMemoryObjectStore(), new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null }))
        {
            for (var i = 10; i < 30; i++)
            {
                await deleting.PutAsync(K(i), V(i), NoWait);
            }

            await deleting.FlushAsync(FlushType.MemTable);
            for (var i = 16; i < 30; i++)
            {
                await deleting.DeleteAsync(K(i), NoWait);
            }

            await deleting.FlushAsync(FlushType.MemTable);
            await using var ended = deleting.ScanAsync(KeyRange.Between(K(10), K(30)));
            var count = 0;
            while (await ended.MoveNextAsync())
            {
                count++;
            }

            Assert.Equal(6, count);
            await Assert.ThrowsAsync<ArgumentException>(async () => await ended.SeekAsync(K(15)));
            await ended.SeekAsync(K(20));
            Assert.False(await ended.MoveNextAsync());
        }

        await using var seeking = db.ScanAsync(KeyRange.All);
        Assert.True(await seeking.MoveNextAsync());
        await seeking.SeekAsync(K(150));
        Assert.Equal(default, seeking.Current);
        Assert.True(await seeking.MoveNextAsync());
        Assert.Equal("key-00150", Encoding.UTF8.GetString(seeking.Current.Key.Span));
    }

    [Fact]
    public async Task A_store_outage_during_an_in_place_move_is_an_Unavailable_error_and_a_closed_database_refuses_it()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        await using (var writer = await OpenAsync(store))
        {
            await writer.PutAsync(K(1), V(1), NoWait);
            await writer.FlushAsync(FlushType.MemTable);
        }

        var db = await OpenAsync(store);
        store.FailWhen(c => c.Operation == ObjectStoreOperation.Get && c.Path.Contains("/compacted/", StringComparison.Ordinal), transient: false);
        await using (var scan = db.ScanAsync(KeyRange.All))
        {
            var e = await Assert.ThrowsAsync<SlateDbException>(async () => await scan.MoveNextAsync());
            Assert.Equal(SlateDbErrorKind.Unavailable, e.Kind);
            Assert.IsAssignableFrom<ObjectStoreException>(e.InnerException);
        }

        var open = db.ScanAsync(KeyRange.All);
        await db.CloseAsync();
        await Assert.ThrowsAsync<DbClosedException>(async () => await open.MoveNextAsync());
        await open.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await open.MoveNextAsync());
    }

    // Rows in the memtable, in three L0 SSTs that overlap, overwritten, deleted, range-deleted, and merge operands on
    // puts and on nothing.
    private static async Task<SlateDb.Db> OpenMixedAsync()
    {
        var db = await OpenAsync(
            new InMemoryObjectStore(),
            new Settings { ManifestPollInterval = TimeSpan.FromHours(1), Compactor = null, MergeOperator = new AppendOperator() });
        for (var i = 0; i < 300; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
            if (i is 99 or 199)
            {
                await db.FlushAsync(FlushType.MemTable);
            }
        }

        await db.FlushAsync(FlushType.MemTable);
        for (var i = 0; i < 300; i += 7)
        {
            await db.PutAsync(K(i), V(i, 2), NoWait);
        }

        for (var i = 3; i < 300; i += 11)
        {
            await db.DeleteAsync(K(i), NoWait);
        }

        await db.DeleteRangeAsync(KeyRange.Between(K(140), K(148)), NoWait);
        await db.FlushAsync(FlushType.MemTable);
        for (var i = 5; i < 320; i += 13)
        {
            await db.MergeAsync(K(i), Encoding.UTF8.GetBytes("+m"), NoWait);
        }

        await db.PutAsync(K(400), V(400), NoWait);
        return db;
    }

    private static (string Key, string Value, ulong Seq) Text(KeyValue kv)
        => (Encoding.UTF8.GetString(kv.Key.Span), Encoding.UTF8.GetString(kv.Value.Span), kv.Seq);
}
