using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using SlateDb.ObjectStore;
using Xunit;
using static SlateDb.Core.Tests.Db.DbKit;

namespace SlateDb.Core.Tests.Db;

public sealed class TelemetryTests
{
    [Fact]
    public async Task Operations_are_spans_of_the_SlateDb_source_with_path_and_counts_but_no_keys_or_values()
    {
        using var spans = new SpanCollector();
        var store = new InMemoryObjectStore();
        await using var db = await SlateDb.Db.Builder("traced-db", store).WithTimeProvider(Clock()).WithSeed(1).BuildAsync();

        using (spans.Root())
        {
            using (var batch = new WriteBatch())
            {
                batch.Put("secret-key-1", "secret-value-1").Put("secret-key-2", "secret-value-2").Delete("secret-key-3");
                await db.WriteAsync(batch, NoWait);
            }

            await db.PutAsync("secret-key-4", "secret-value-4", NoWait);
            await db.FlushAsync();
            Assert.NotNull(await db.GetAsync("secret-key-1"));
            Assert.Null(await db.GetAsync("secret-key-3"));
            var rows = 0;
            await foreach (var _ in db.ScanAsync(KeyRange.Prefix("secret-key-")))
            {
                rows++;
            }

            Assert.Equal(3, rows);
            await db.CreateCheckpointAsync(CheckpointScope.Durable);
            await db.FlushAsync(FlushType.MemTable);
        }

        var mine = spans.Finished();
        Assert.Equal(
            ["slatedb.write", "slatedb.write", "slatedb.flush", "slatedb.get", "slatedb.get", "slatedb.scan", "slatedb.checkpoint", "slatedb.flush"],
            mine.Select(a => a.OperationName));
        Assert.All(mine, a => Assert.Equal("traced-db", a.GetTagItem("slatedb.db")));
        Assert.All(mine, a => Assert.Equal(ActivityStatusCode.Unset, a.Status));
        Assert.Equal(3, mine[0].GetTagItem("slatedb.rows"));
        Assert.Equal(false, mine[0].GetTagItem("slatedb.await_durable"));
        Assert.Equal(1, mine[1].GetTagItem("slatedb.rows"));
        Assert.Equal("Wal", mine[2].GetTagItem("slatedb.flush.type"));
        Assert.Equal(true, mine[3].GetTagItem("slatedb.found"));
        Assert.Equal(false, mine[4].GetTagItem("slatedb.found"));
        Assert.Equal(3L, mine[5].GetTagItem("slatedb.rows"));
        Assert.Equal("Durable", mine[6].GetTagItem("slatedb.checkpoint.scope"));
        Assert.Equal("MemTable", mine[7].GetTagItem("slatedb.flush.type"));
        var everyTag = string.Join("|", mine.SelectMany(a => a.TagObjects).Select(t => $"{t.Key}={t.Value}"));
        Assert.DoesNotContain("secret", everyTag, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failed_operation_marks_its_span_as_an_error()
    {
        using var spans = new SpanCollector();
        var store = new InMemoryObjectStore();
        var first = await SlateDb.Db.Builder("fenced-db", store).WithTimeProvider(Clock()).WithSeed(1).BuildAsync();
        await using var second = await SlateDb.Db.Builder("fenced-db", store).WithTimeProvider(Clock()).WithSeed(2).BuildAsync();

        using (spans.Root())
        {
            await first.PutAsync(K(1), V(1), NoWait);
            await Assert.ThrowsAsync<FencedException>(() => first.FlushAsync());
        }

        var flush = Assert.Single(spans.Finished(), a => a.OperationName == "slatedb.flush");
        Assert.Equal(ActivityStatusCode.Error, flush.Status);
        Assert.Equal(typeof(FencedException).FullName, flush.GetTagItem("error.type"));
        await first.DisposeAsync();
    }

    [Fact]
    public async Task A_scan_span_does_not_become_the_current_activity_of_the_caller()
    {
        using var spans = new SpanCollector();
        await using var db = await SlateDb.Db.Builder("scan-db", new InMemoryObjectStore()).WithTimeProvider(Clock()).BuildAsync();
        using var root = spans.Root();

        var iterator = db.ScanAsync(KeyRange.All);
        Assert.Same(root, Activity.Current);
        await iterator.DisposeAsync();
        Assert.Equal("slatedb.scan", Assert.Single(spans.Finished()).OperationName);
    }

    [Fact]
    public async Task A_scan_span_counts_rows_read_in_place_and_rows_copied_alike()
    {
        using var spans = new SpanCollector();
        await using var db = await SlateDb.Db.Builder("rows-db", new InMemoryObjectStore()).WithTimeProvider(Clock()).BuildAsync();
        for (var i = 0; i < 5; i++)
        {
            await db.PutAsync(K(i), V(i), NoWait);
        }

        using (spans.Root())
        {
            await using var scan = db.ScanAsync(KeyRange.All);
            Assert.True(await scan.MoveNextAsync());
            Assert.NotNull(await scan.NextAsync());
            while (await scan.MoveNextAsync())
            {
            }
        }

        Assert.Equal(5L, Assert.Single(spans.Finished()).GetTagItem("slatedb.rows"));
    }

    [Fact]
    public async Task Garbage_collection_is_a_span_with_the_deleted_counts_and_is_counted_on_the_meter()
    {
        using var spans = new SpanCollector();
        var runs = 0L;
        using var listener = Listen("slatedb.gc.runs", v => Interlocked.Add(ref runs, v));
        await using var db = await SlateDb.Db.Builder("gc-db", new InMemoryObjectStore())
            .WithTimeProvider(Clock()).WithSettings(new Settings { Gc = null }).BuildAsync();

        using (spans.Root())
        {
            await db.Engine.CreateCollector().RunAsync(new GcOptions { MinAge = TimeSpan.Zero }, CancellationToken.None);
        }

        var gc = Assert.Single(spans.Finished());
        Assert.Equal("slatedb.gc", gc.OperationName);
        Assert.Equal("gc-db", gc.GetTagItem("slatedb.db"));
        Assert.NotNull(gc.GetTagItem("slatedb.store"));
        Assert.Equal(0, gc.GetTagItem("slatedb.gc.deleted_ssts"));
        Assert.True(Interlocked.Read(ref runs) >= 1);
    }

    [Fact]
    public async Task The_gauges_report_an_open_database_and_stop_when_it_closes()
    {
        var clock = Clock();
        var db = await SlateDb.Db.Builder("gauge-db", new InMemoryObjectStore()).WithTimeProvider(clock).BuildAsync();
        await db.PutAsync(K(1), V(1), NoWait);
        clock.Advance(TimeSpan.FromSeconds(0.05));

        var open = Observe("gauge-db");
        Assert.True(open["slatedb.unflushed_bytes"] > 0);
        Assert.Equal(0, open["slatedb.l0.ssts"]);
        Assert.Equal(0.05, open["slatedb.wal.last_write_age"], 3);

        await db.FlushAsync(FlushType.MemTable);
        Assert.Equal(1, Observe("gauge-db")["slatedb.l0.ssts"]);

        await db.CloseAsync();
        Assert.Empty(Observe("gauge-db"));
    }

    [Fact]
    public async Task Status_reports_open_pending_writes_the_last_wal_write_closed_and_fenced()
    {
        var clock = Clock();
        var store = new InMemoryObjectStore();
        var settings = new Settings { FlushInterval = TimeSpan.FromDays(1), ManifestPollInterval = TimeSpan.FromDays(1) };
        var openedAt = clock.GetUtcNow();
        var db = await OpenAsync(store, settings, clock);

        var status = db.Status;
        Assert.Equal(DbLifecycleState.Open, status.State);
        Assert.Equal(openedAt, status.LastDurableWalWrite);
        Assert.False(status.HasPendingWrites);
        Assert.Null(status.Failure);

        await db.PutAsync(K(1), V(1), NoWait);
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(db.Status.HasPendingWrites);
        Assert.Equal(openedAt, db.Status.LastDurableWalWrite);

        await db.FlushAsync();
        Assert.False(db.Status.HasPendingWrites);
        Assert.Equal(openedAt + TimeSpan.FromMinutes(1), db.Status.LastDurableWalWrite);

        await using var newer = await OpenAsync(store, settings, clock, seed: 2);
        await db.PutAsync(K(2), V(2), NoWait);
        await Assert.ThrowsAsync<FencedException>(() => db.FlushAsync());
        Assert.Equal(DbLifecycleState.Fenced, db.Status.State);
        Assert.IsType<FencedException>(db.Status.Failure);
        await db.DisposeAsync();

        await newer.CloseAsync();
        Assert.Equal(DbLifecycleState.Closed, newer.Status.State);
        Assert.Null(newer.Status.Failure);
    }

    // The SlateDb gauges' current readings for one database path.
    private static Dictionary<string, double> Observe(string dbPath)
    {
        var readings = new Dictionary<string, double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SlateDbTelemetry.MeterName && instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "slatedb.db" && Equals(tag.Value, dbPath))
                {
                    readings[instrument.Name] = value;
                }
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return readings;
    }

    // Collects the SlateDb spans under one root activity of this test (other tests run beside it).
    private sealed class SpanCollector : IDisposable
    {
        private static readonly ActivitySource TestSource = new("SlateDb.Core.Tests.Telemetry");
        private readonly ActivityListener _listener;
        private readonly ConcurrentQueue<Activity> _finished = new();
        private ActivityTraceId _trace;

        public SpanCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name is SlateDbTelemetry.ActivitySourceName or "SlateDb.Core.Tests.Telemetry",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a =>
                {
                    if (a.Source.Name == SlateDbTelemetry.ActivitySourceName && a.TraceId == _trace)
                    {
                        _finished.Enqueue(a);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public Activity Root()
        {
            var root = TestSource.StartActivity("test") ?? throw new InvalidOperationException("The test source is not sampled.");
            _trace = root.TraceId;
            return root;
        }

        public List<Activity> Finished() => [.. _finished];

        public void Dispose() => _listener.Dispose();
    }
}
