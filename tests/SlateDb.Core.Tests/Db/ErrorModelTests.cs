using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

/// <summary>Every error the public API raises is a <see cref="SlateDbException"/> (or an argument error) that says what failed.</summary>
/// <remarks>
/// The database retries transient store errors itself (on its clock, which these tests never advance), so the faults
/// injected here are permanent: what a caller sees once retrying gave up.
/// </remarks>
public class ErrorModelTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_store_outage_during_a_get_is_an_Unavailable_error_naming_the_database_and_the_object()
    {
        var store = await StoreWithOneL0TableAsync();
        await using var db = await OpenAsync(store);
        store.FailWhen(c => c.Operation == ObjectStoreOperation.Get && c.Path.Contains("/compacted/", StringComparison.Ordinal), transient: false);

        var e = await Assert.ThrowsAsync<SlateDbException>(async () => await db.GetAsync(K(1)));

        Assert.Equal(SlateDbErrorKind.Unavailable, e.Kind);
        var inner = Assert.IsAssignableFrom<ObjectStoreException>(e.InnerException);
        Assert.Contains("'db'", e.Message, StringComparison.Ordinal);
        Assert.Contains(inner.Path, e.Message, StringComparison.Ordinal);
        store.ClearFaults();
        Assert.Equal(V(1), await db.GetAsync(K(1)));
    }

    [Fact]
    public async Task A_store_outage_during_a_scan_or_a_seek_is_an_Unavailable_error()
    {
        var store = await StoreWithOneL0TableAsync();
        await using var db = await OpenAsync(store);
        store.FailWhen(c => c.Operation == ObjectStoreOperation.Get && c.Path.Contains("/compacted/", StringComparison.Ordinal), transient: false);

        await using var scan = db.ScanAsync(KeyRange.All);
        var next = await Assert.ThrowsAsync<SlateDbException>(async () => await scan.NextAsync());
        await using var seeking = db.ScanAsync(KeyRange.All);
        // A seek opens no SST the scan does not need yet (this one starts at the key): the read after it fails.
        var seek = await Assert.ThrowsAsync<SlateDbException>(async () =>
        {
            await seeking.SeekAsync(K(1));
            await seeking.NextAsync();
        });

        Assert.Equal(SlateDbErrorKind.Unavailable, next.Kind);
        Assert.IsAssignableFrom<ObjectStoreException>(next.InnerException);
        Assert.Contains("'db'", next.Message, StringComparison.Ordinal);
        Assert.Equal(SlateDbErrorKind.Unavailable, seek.Kind);
        Assert.IsAssignableFrom<ObjectStoreException>(seek.InnerException);
    }

    [Fact]
    public async Task A_missing_table_is_a_Data_error()
    {
        var store = await StoreWithOneL0TableAsync();
        await using var db = await OpenAsync(store);
        foreach (var table in await ListAsync(store.Inner, "db/compacted/"))
        {
            await store.Inner.DeleteAsync(table.Path);
        }

        var e = await Assert.ThrowsAsync<SlateDbException>(async () => await db.GetAsync(K(1)));

        Assert.Equal(SlateDbErrorKind.Data, e.Kind);
        Assert.IsType<ObjectNotFoundException>(e.InnerException);
    }

    [Fact]
    public async Task A_failed_WAL_write_closes_the_database_saying_the_WAL_writer_failed_and_why()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        var db = await OpenAsync(store);
        store.FailWhen(c => c.Operation == ObjectStoreOperation.Put && c.Path.Contains("/wal/", StringComparison.Ordinal), transient: false);
        var pending = await db.PutAsync(K(1), V(1), NoWait);

        var flush = await Assert.ThrowsAsync<DbClosedException>(() => db.FlushAsync());
        await db.Engine.Failed.WaitAsync(Limit);
        var durable = await Assert.ThrowsAsync<DbClosedException>(() => pending.Durable);
        var later = await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync(K(2), V(2), NoWait));

        Assert.Contains("the WAL writer failed", flush.Message, StringComparison.Ordinal);
        Assert.Contains("the WAL writer failed", durable.Message, StringComparison.Ordinal);
        Assert.Contains("the WAL writer failed", later.Message, StringComparison.Ordinal);
        Assert.Contains("Injected permanent fault", later.Message, StringComparison.Ordinal);
        var cause = Assert.IsAssignableFrom<SlateDbException>(later.InnerException);
        Assert.IsAssignableFrom<ObjectStoreException>(cause.InnerException);
        await db.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_L0_upload_closes_the_database_saying_the_memtable_flusher_failed_and_why()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        var db = await OpenAsync(store);
        await db.PutAsync(K(1), V(1), NoWait);
        await db.FlushAsync();
        store.FailWhen(c => c.Operation == ObjectStoreOperation.Put && c.Path.Contains("/compacted/", StringComparison.Ordinal), transient: false);

        var flush = await Assert.ThrowsAnyAsync<SlateDbException>(() => db.FlushAsync(FlushType.MemTable));
        await db.Engine.Failed.WaitAsync(Limit);
        var later = await Assert.ThrowsAsync<DbClosedException>(() => db.PutAsync(K(2), V(2), NoWait));
        var read = await Assert.ThrowsAsync<DbClosedException>(async () => await db.GetAsync(K(1)));

        Assert.Equal(SlateDbErrorKind.Unavailable, flush.Kind);
        Assert.Contains("'db'", flush.Message, StringComparison.Ordinal);
        Assert.Contains("the memtable flusher failed", later.Message, StringComparison.Ordinal);
        Assert.Contains("the memtable flusher failed", read.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<DbClosedException>(() => db.CloseAsync());
    }

    [Fact]
    public async Task A_store_outage_while_opening_is_an_Unavailable_error()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        store.FailWhen(c => c.Operation == ObjectStoreOperation.List, transient: false);

        var e = await Assert.ThrowsAsync<SlateDbException>(() => OpenAsync(store));

        Assert.Equal(SlateDbErrorKind.Unavailable, e.Kind);
        Assert.IsAssignableFrom<ObjectStoreException>(e.InnerException);
        Assert.Contains("'db'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_larger_than_MaxUnflushedBytes_is_refused_before_anything_is_written()
    {
        var store = new InMemoryObjectStore();
        await using var db = await OpenAsync(store, new Settings { MaxUnflushedBytes = 64 * 1024, ManifestPollInterval = TimeSpan.FromHours(1) });
        using var batch = new WriteBatch().Put(K(1), new byte[40 * 1024]).Put(K(2), new byte[40 * 1024]);

        var tooBig = await Assert.ThrowsAsync<ArgumentException>(() => db.WriteAsync(batch, NoWait));
        var tooBigPut = await Assert.ThrowsAsync<ArgumentException>(() => db.PutAsync(K(3), new byte[65 * 1024], NoWait));
        await db.PutAsync(K(4), new byte[40 * 1024], NoWait);

        Assert.Equal("batch", tooBig.ParamName);
        Assert.Contains("MaxUnflushedBytes", tooBig.Message, StringComparison.Ordinal);
        Assert.Contains("65536", tooBig.Message, StringComparison.Ordinal);
        Assert.Equal("value", tooBigPut.ParamName);
        Assert.Null(await db.GetAsync(K(1)));
        Assert.Null(await db.GetAsync(K(3)));
        Assert.NotNull(await db.GetAsync(K(4)));
    }

    [Fact]
    public async Task A_disposed_batch_is_an_ObjectDisposedException()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());
        var batch = new WriteBatch().Put(K(1), V(1));
        batch.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => db.WriteAsync(batch, NoWait));
    }

    [Fact]
    public async Task Key_and_value_errors_name_the_parameters_key_and_value()
    {
        await using var db = await OpenAsync(new InMemoryObjectStore());

        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(() => db.PutAsync(ReadOnlyMemory<byte>.Empty, V(1), NoWait))).ParamName);
        Assert.Equal("value", (await Assert.ThrowsAsync<ArgumentException>(() => db.PutAsync(K(1), new byte[(64 * 1024 * 1024) + 1], NoWait))).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(() => db.DeleteAsync(new byte[70_000], NoWait))).ParamName);
        Assert.Equal("key", (await Assert.ThrowsAsync<ArgumentException>(async () => await db.GetAsync(ReadOnlyMemory<byte>.Empty))).ParamName);
    }

    // One key (K(1) = V(1)) in an L0 table, the database closed: a reopened one reads the table from the store.
    private static async Task<FaultInjectingObjectStore> StoreWithOneL0TableAsync()
    {
        var store = new FaultInjectingObjectStore(new InMemoryObjectStore(), seed: 1);
        await using (var db = await OpenAsync(store))
        {
            await db.PutAsync(K(1), V(1), NoWait);
            await db.FlushAsync(FlushType.MemTable);
        }

        return store;
    }
}
