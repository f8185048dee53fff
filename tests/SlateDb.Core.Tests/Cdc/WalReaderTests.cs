using SlateDb.Gc;
using SlateDb.Layout;
using SlateDb.Manifest;
using SlateDb.ObjectStore;
using SlateDb.Testing;
using SlateDb.Wal;
using Xunit;
using static SlateDb.Core.Tests.Cdc.CdcKit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Cdc;

/// <summary>WalReader: truncation, fences, separate WAL stores, following and cancelling, bad input.</summary>
public sealed class WalReaderTests
{
    [Fact]
    public async Task Every_row_comes_with_its_kind_seq_and_timestamps_in_write_order()
    {
        var store = new InMemoryObjectStore();
        var clock = Clock();
        await using var db = await OpenAsync(store, KeepWal(), clock);
        var put = await db.PutAsync(K(1), V(1));
        var deleted = await db.DeleteAsync(K(1));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var rows = (await ReadToEndAsync(reader, ChangeCursor.Beginning)).SelectMany(b => b.Rows).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal((ChangeKind.Put, put.Seq), (rows[0].Kind, rows[0].Seq));
        Assert.Equal(V(1), rows[0].Value.ToArray());
        Assert.Equal((ChangeKind.Delete, deleted.Seq, 0), (rows[1].Kind, rows[1].Seq, rows[1].Value.Length));
        Assert.Equal(K(1), rows[1].Key.ToArray());
        Assert.Equal(clock.GetUtcNow().ToUnixTimeMilliseconds(), rows[0].CreateTimestamp);
        Assert.Null(rows[0].ExpireTimestamp);
    }

    [Fact]
    public async Task A_range_delete_comes_as_one_row_with_its_start_and_exclusive_end()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        var bounded = await db.DeleteRangeAsync(KeyRange.Between(K(1), K(5)));
        var open = await db.DeleteRangeAsync(KeyRange.From(K(7)));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var rows = (await ReadToEndAsync(reader, ChangeCursor.Beginning)).SelectMany(b => b.Rows).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal((ChangeKind.DeleteRange, bounded.Seq), (rows[0].Kind, rows[0].Seq));
        Assert.Equal(K(1), rows[0].Key.ToArray());
        Assert.Equal(K(5), rows[0].Value.ToArray());
        Assert.Equal((ChangeKind.DeleteRange, open.Seq, 0), (rows[1].Kind, rows[1].Seq, rows[1].Value.Length));
        Assert.Equal(K(7), rows[1].Key.ToArray());
    }

    [Fact]
    public async Task A_wal_object_missing_in_the_middle_is_a_truncation_naming_the_id_and_the_cursor()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        for (var i = 0; i < 6; i++)
        {
            await db.PutAsync(K(i), V(i));
        }

        var ids = (await WalObjectsAsync(store)).Select(o => o.Id).ToList();
        var missing = ids[3];
        await store.DeleteAsync(WalPath(missing));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var delivered = new List<ChangeBatch>();
        var error = await Assert.ThrowsAsync<WalTruncatedException>(async () =>
        {
            await foreach (var batch in reader.ReadChangesAsync(ChangeCursor.Beginning, follow: false))
            {
                delivered.Add(batch);
            }
        });
        Assert.Equal(missing, error.MissingWalId);
        Assert.Equal(delivered[^1].Cursor, error.Cursor);
        Assert.Equal(missing - 1, error.Cursor.WalId);
        Assert.Equal(SlateDbErrorKind.Data, error.Kind);
        Assert.Contains(WalPath(missing), error.Message, StringComparison.Ordinal);
        Assert.Contains(error.Cursor.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains("later WAL object", error.Message, StringComparison.Ordinal);

        // Resuming from the cursor before the gap fails the same way, even while following.
        var resumed = await Assert.ThrowsAsync<WalTruncatedException>(async () =>
        {
            await foreach (var batch in reader.ReadChangesAsync(error.Cursor, follow: true))
            {
                Assert.Fail($"Delivered {batch} past a missing WAL object.");
            }
        });
        Assert.Equal(missing, resumed.MissingWalId);
    }

    [Fact]
    public async Task A_missing_last_wal_object_below_next_wal_sst_id_is_a_truncation_not_the_tail()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store, KeepWal(), Clock());
        for (var i = 0; i < 3; i++)
        {
            await db.PutAsync(K(i), V(i));
        }

        await db.DisposeAsync();   // the manifest records next_wal_sst_id past every stored object
        var lastId = (await WalObjectsAsync(store))[^1].Id;
        Assert.True(lastId < (await LatestManifestAsync(store)).Value.NextWalSstId);
        await store.DeleteAsync(WalPath(lastId));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var error = await Assert.ThrowsAsync<WalTruncatedException>(() => ReadToEndAsync(reader, ChangeCursor.Beginning));
        Assert.Equal(lastId, error.MissingWalId);
        Assert.Contains("next_wal_sst_id", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<WalTruncatedException>(() => reader.ReadAsync(lastId));
    }

    [Fact]
    public async Task Garbage_collection_ahead_of_a_lagging_cursor_is_a_truncation_while_a_caught_up_cursor_goes_on()
    {
        var clock = Clock();
        var store = new InMemoryObjectStore(null, clock);
        await using var db = await OpenAsync(store, KeepWal(), clock);
        for (var i = 0; i < 4; i++)
        {
            await db.PutAsync(K(i), V(i));
        }

        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
        var batches = await ReadToEndAsync(reader, ChangeCursor.Beginning);
        var lagging = batches.First(b => b.Rows.Count > 0).Cursor;
        var caughtUp = batches[^1].Cursor;
        await db.FlushAsync(FlushType.MemTable);   // the rows are in L0: the WAL objects become garbage
        clock.Advance(TimeSpan.FromSeconds(1));
        var manifests = new ManifestStore(store, DbPath, clock);
        var collector = new GarbageCollector(
            store, store, manifests, GcManifestAccess.ForStore(manifests), clock, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, pins: null);
        await collector.RunAsync(new GcOptions { MinAge = TimeSpan.Zero }, CancellationToken.None);
        Assert.DoesNotContain(lagging.WalId + 1, (await WalObjectsAsync(store)).Select(o => o.Id));

        var error = await Assert.ThrowsAsync<WalTruncatedException>(() => ReadToEndAsync(reader, lagging));
        Assert.Equal(lagging.WalId + 1, error.MissingWalId);
        Assert.Equal(lagging, error.Cursor);

        await db.PutAsync(K(9), V(9));
        var after = await ReadToEndAsync(reader, caughtUp);
        Assert.Equal(K(9), Assert.Single(after.SelectMany(b => b.Rows)).Key.ToArray());
    }

    [Fact]
    public async Task Starting_from_the_beginning_reads_from_the_oldest_wal_object_present()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        var seqs = new List<ulong>();
        for (var i = 0; i < 5; i++)
        {
            seqs.Add((await db.PutAsync(K(i), V(i))).Seq);
        }

        var ids = (await WalObjectsAsync(store)).Select(o => o.Id).ToList();
        await store.DeleteAsync(WalPath(ids[0]));   // collected, as garbage collection does once L0 holds the rows
        await store.DeleteAsync(WalPath(ids[1]));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var batches = await ReadToEndAsync(reader, ChangeCursor.Beginning);
        Assert.Equal(ids.Skip(2), batches.Select(b => b.WalId));
        Assert.Equal(seqs.Skip(1), batches.SelectMany(b => b.Rows).Select(r => r.Seq));
    }

    [Fact]
    public async Task Fence_objects_are_skipped_as_batches_without_rows_that_move_the_cursor()
    {
        var store = new InMemoryObjectStore();
        var db = await OpenAsync(store, KeepWal(), Clock());
        var first = await db.PutAsync(K(1), V(1));
        await db.DisposeAsync();
        await using var reopened = await OpenAsync(store, KeepWal(), Clock());
        var second = await reopened.PutAsync(K(2), V(2));
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var listed = await reader.ListAsync();
        var fences = listed.Where(o => o.IsFence).ToList();
        Assert.Equal(2, fences.Count);   // one per open
        Assert.All(fences, f => Assert.Equal(WalFenceObject.Length, f.Size));

        var batches = await ReadToEndAsync(reader, ChangeCursor.Beginning);
        Assert.Equal(listed.Select(o => o.Id), batches.Select(b => b.WalId));
        Assert.All(batches.Where(b => b.IsFence), b => Assert.Empty(b.Rows));
        Assert.Equal([first.Seq, second.Seq], batches.SelectMany(b => b.Rows).Select(r => r.Seq));
        var lastFence = batches.Last(b => b.IsFence);
        Assert.Equal(new ChangeCursor(lastFence.WalId, first.Seq), lastFence.Cursor);
        Assert.True((await reader.ReadAsync(fences[0].Id)).IsFence);

        // A fence-sized object that is not a valid fence is corruption, never skipped.
        await store.PutAsync(WalPath(fences[1].Id), new byte[WalFenceObject.Length], PutMode.Overwrite);
        var error = await Assert.ThrowsAsync<CorruptionException>(() => ReadToEndAsync(reader, ChangeCursor.Beginning));
        Assert.Equal(WalPath(fences[1].Id), error.ObjectPath);
    }

    [Fact]
    public async Task A_separate_wal_store_is_read_when_given_or_opened_from_the_uri_the_manifest_records()
    {
        using var dir = new TempDirectory("cdc-wal");
        var store = new InMemoryObjectStore();
        var walStore = new LocalFileSystemObjectStore(dir.FullPath);
        await using var db = await OpenAsync(store, KeepWal(), Clock(), walStore: walStore);
        var put = await db.PutAsync(K(1), V(1));
        Assert.Empty(await WalObjectsAsync(store));

        var given = await WalReader.OpenAsync(DbPath, store, Options(Clock(), walStore));
        Assert.Equal(walStore.Uri, given.WalStoreUri);
        Assert.Equal([put.Seq], (await ReadToEndAsync(given, ChangeCursor.Beginning)).SelectMany(b => b.Rows).Select(r => r.Seq));

        var recorded = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
        Assert.Equal(walStore.Uri, recorded.WalStoreUri);
        Assert.Equal([put.Seq], (await ReadToEndAsync(recorded, ChangeCursor.Beginning)).SelectMany(b => b.Rows).Select(r => r.Seq));

        var other = new InMemoryObjectStore("memory://other");
        var wrong = await Assert.ThrowsAsync<SlateDbException>(() => WalReader.OpenAsync(DbPath, store, Options(Clock(), other)));
        Assert.Equal(SlateDbErrorKind.Invalid, wrong.Kind);
        Assert.Contains(walStore.Uri, wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wal_store_the_manifest_does_not_record_or_cannot_open_from_its_uri_is_refused()
    {
        var store = new InMemoryObjectStore();
        await using (var db = await OpenAsync(store, KeepWal(), Clock()))
        {
            await db.PutAsync(K(1), V(1));
        }

        var stray = await Assert.ThrowsAsync<SlateDbException>(
            () => WalReader.OpenAsync(DbPath, store, Options(Clock(), new InMemoryObjectStore("memory://stray"))));
        Assert.Equal(SlateDbErrorKind.Invalid, stray.Kind);
        Assert.Contains("records no WAL object store", stray.Message, StringComparison.Ordinal);

        var main = new InMemoryObjectStore();
        var memoryWal = new InMemoryObjectStore("memory://wal");
        await using (var db = await OpenAsync(main, KeepWal(), Clock(), walStore: memoryWal))
        {
            await db.PutAsync(K(1), V(1));
        }

        var unopenable = await Assert.ThrowsAsync<SlateDbException>(() => WalReader.OpenAsync(DbPath, main, Options(Clock())));
        Assert.Contains("memory://wal", unopenable.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(WalReaderOptions.WalObjectStore), unopenable.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_following_feed_polls_on_its_clock_delivers_new_objects_and_ends_when_cancelled()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        var first = await db.PutAsync(K(1), V(1));
        var feedClock = Clock();
        var reader = await WalReader.OpenAsync(DbPath, store, Options(feedClock));
        using var stop = new CancellationTokenSource();
        var feed = reader.ReadChangesAsync(ChangeCursor.Beginning, follow: true, stop.Token).GetAsyncEnumerator(stop.Token);
        var seqs = new List<ulong>();
        while (!seqs.Contains(first.Seq))
        {
            Assert.True(await feed.MoveNextAsync());
            seqs.AddRange(feed.Current.Rows.Select(r => r.Seq));
        }

        var waiting = feed.MoveNextAsync().AsTask();   // at the tail: waits for the poll interval on the feed's clock
        Assert.False(waiting.IsCompleted);
        var second = await db.PutAsync(K(2), V(2));
        for (var ticks = 0; !waiting.IsCompleted && ticks < 10_000; ticks++)
        {
            feedClock.Advance(reader.PollInterval);
            await Task.Yield();
        }

        Assert.True(await waiting);
        Assert.Equal(second.Seq, Assert.Single(feed.Current.Rows).Seq);

        var cancelled = feed.MoveNextAsync().AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task Bad_options_paths_and_missing_databases_fail_with_specific_errors()
    {
        var store = new InMemoryObjectStore();
        var negative = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => WalReader.OpenAsync(DbPath, store, new WalReaderOptions { PollInterval = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("PollInterval", negative.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => WalReader.OpenAsync(DbPath, store, new WalReaderOptions { PollInterval = TimeSpan.Zero }));
        await Assert.ThrowsAsync<ArgumentException>(() => WalReader.OpenAsync("/abs", store));
        var none = await Assert.ThrowsAsync<SlateDbException>(() => WalReader.OpenAsync("nothing-here", store));
        Assert.Equal(SlateDbErrorKind.Invalid, none.Kind);
        Assert.Contains("nothing-here", none.Message, StringComparison.Ordinal);

        await using var db = await OpenAsync(store, KeepWal(), Clock());
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));
        var beyond = await Assert.ThrowsAsync<SlateDbException>(() => reader.ReadAsync(1000));
        Assert.Equal(SlateDbErrorKind.Invalid, beyond.Kind);
        Assert.Contains("1000", beyond.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => reader.ReadAsync(0));
    }

    [Fact]
    public async Task An_empty_wal_object_is_corruption_never_skipped()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, KeepWal(), Clock());
        await db.PutAsync(K(1), V(1));
        var lastId = (await WalObjectsAsync(store))[^1].Id;
        await store.PutAsync(new DbPaths(DbPath).WalSstPath(lastId), ReadOnlyMemory<byte>.Empty, PutMode.Overwrite);
        var reader = await WalReader.OpenAsync(DbPath, store, Options(Clock()));

        var error = await Assert.ThrowsAsync<CorruptionException>(() => ReadToEndAsync(reader, ChangeCursor.Beginning));
        Assert.Equal(WalPath(lastId), error.ObjectPath);
    }
}
