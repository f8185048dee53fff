using System.Diagnostics.Metrics;
using Xunit;

namespace SlateDb.ObjectStore.Tests.Wrappers;

public sealed class InstrumentedObjectStoreTests
{
    [Fact]
    public async Task Counts_requests_bytes_and_errors_per_operation()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore());
        await store.PutAsync("a", new byte[100], PutMode.Create);
        await store.PutAsync("b", new byte[50], PutMode.Overwrite);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.PutAsync("a", new byte[7], PutMode.Create));
        await store.GetAsync("a");
        await store.GetAsync("a", new ByteRange(10, 20));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.GetAsync("missing"));
        await store.HeadAsync("b");
        var listed = 0;
        await foreach (var _ in store.ListAsync(""))
        {
            listed++;
        }

        await store.CopyAsync("a", "c");
        await store.DeleteAsync("b");

        var stats = store.Snapshot();
        Assert.Equal(3, stats.Puts);
        Assert.Equal(3, stats.Gets);
        Assert.Equal(1, stats.Heads);
        Assert.Equal(1, stats.Lists);
        Assert.Equal(2, stats.ListedObjects);
        Assert.Equal(1, stats.Copies);
        Assert.Equal(1, stats.Deletes);
        Assert.Equal(10, stats.TotalRequests);
        Assert.Equal(2, stats.Errors);
        Assert.Equal(150, stats.BytesWritten);   // the failed put sent nothing that counts
        Assert.Equal(120, stats.BytesRead);
        Assert.Equal(3, stats.RequestsOf(ObjectStoreOperation.Put));
    }

    [Fact]
    public async Task Snapshot_differences_and_reset()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore(), recordLog: true);
        await store.PutAsync("a", new byte[10], PutMode.Create);
        var before = store.Snapshot();
        await store.GetAsync("a");
        await store.GetAsync("a");

        var delta = store.Snapshot() - before;
        Assert.Equal(new ObjectStoreStats { Gets = 2, BytesRead = 20 }, delta);

        store.Reset();
        Assert.Equal(new ObjectStoreStats(), store.Snapshot());
        Assert.Empty(store.Log);
    }

    [Fact]
    public void ToString_names_every_count()
    {
        var stats = new ObjectStoreStats { Gets = 3, Puts = 8, Lists = 1, ListedObjects = 4, BytesRead = 1536 * 1024, BytesWritten = 64 * 1024, Errors = 2 };
        Assert.Equal(
            "requests 12 (get 3, head 0, put 8, list 1, delete 0, copy 0), listed 4, read 1.5 MiB, written 64 KiB, errors 2",
            stats.ToString());
        Assert.Contains("read 10 B", new ObjectStoreStats { BytesRead = 10 }.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_records_requests_in_issue_order()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore(), recordLog: true);
        await store.PutAsync("db/wal/1", new byte[1], PutMode.Create);
        var meta = await store.PutAsync("db/manifest/1", new byte[1], PutMode.Create);
        await store.PutAsync("db/manifest/1", new byte[1], PutMode.Update(meta.ETag));
        await store.GetAsync("db/wal/1", new ByteRange(0, 1));
        await foreach (var _ in store.ListAsync("db/", startAfter: "db/a"))
        {
        }

        await store.CopyAsync("db/wal/1", "db/wal/2");
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("db/none"));
        await store.DeleteAsync("db/wal/2");

        Assert.Equal(
            [
                "Put db/wal/1 Create",
                "Put db/manifest/1 Create",
                "Put db/manifest/1 Update",
                "Get db/wal/1 bytes=0+1",
                "List db/ after=db/a",
                "Copy db/wal/1 -> db/wal/2",
                "Head db/none",
                "Delete db/wal/2",
            ],
            store.Log.Select(r => r.ToString()));
        Assert.Equal(new ObjectStoreRequest(ObjectStoreOperation.Put, "db/wal/1", "Create"), store.Log[0]);
    }

    [Fact]
    public async Task Without_recordLog_the_log_stays_empty()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore());
        await store.PutAsync("a", new byte[1], PutMode.Create);
        Assert.Empty(store.Log);
    }

    [Fact]
    public async Task Publishes_counters_on_the_meter_tagged_with_operation_and_store()
    {
        var store = new InstrumentedObjectStore(new InMemoryObjectStore());
        var measurements = new List<(string Instrument, long Value, string? Operation)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InstrumentedObjectStore.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? operation = null;
            string? storeUri = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "operation")
                {
                    operation = (string?)tag.Value;
                }
                else if (tag.Key == "store")
                {
                    storeUri = (string?)tag.Value;
                }
            }

            if (storeUri == store.Uri)
            {
                lock (measurements)
                {
                    measurements.Add((instrument.Name, value, operation));
                }
            }
        });
        listener.Start();

        await store.PutAsync("a", new byte[5], PutMode.Create);
        await store.GetAsync("a");
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.HeadAsync("b"));

        Assert.Equal(
            [
                ("slatedb.objectstore.requests", 1L, "put"),
                ("slatedb.objectstore.bytes_written", 5L, null),
                ("slatedb.objectstore.requests", 1L, "get"),
                ("slatedb.objectstore.bytes_read", 5L, null),
                ("slatedb.objectstore.requests", 1L, "head"),
                ("slatedb.objectstore.errors", 1L, "head"),
            ],
            measurements);
    }
}
