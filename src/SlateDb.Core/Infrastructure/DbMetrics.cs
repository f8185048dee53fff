using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace SlateDb.Infrastructure;

/// <summary>
/// The database's instruments on the <see cref="Meter"/> named <c>SlateDb</c>. Every measurement carries the tag
/// <c>slatedb.db</c> (the database path) so several databases in one process stay apart. docs/telemetry.md lists them.
/// </summary>
/// <remarks>
/// The observable gauges report every open database: a database registers its readings with <see cref="Observe"/> once
/// it writes and removes them with <see cref="StopObserving"/> when it closes, so a closed database reports nothing.
/// The registry holds its databases weakly: one dropped without closing (a lost reference, a crashed test process)
/// stops reporting once collected instead of being kept alive, with everything it holds, by the static registry.
/// </remarks>
internal sealed class DbMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = SlateDbTelemetry.MeterName;

    private static readonly Meter SharedMeter = new(MeterName, typeof(DbMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConditionalWeakTable<DbMetrics, Readings> Open = new();
    private static readonly Counter<long> WritesCounter = SharedMeter.CreateCounter<long>("slatedb.writes", "{batch}", "Write batches applied.");
    private static readonly Counter<long> RowsCounter = SharedMeter.CreateCounter<long>("slatedb.write.rows", "{row}", "Rows (puts and deletes) applied.");
    private static readonly Counter<long> BytesCounter = SharedMeter.CreateCounter<long>("slatedb.write.bytes", "By", "Key and value bytes applied.");
    private static readonly Counter<long> WalFlushesCounter = SharedMeter.CreateCounter<long>("slatedb.wal.flushes", "{object}", "WAL objects stored.");
    private static readonly Counter<long> WalBytesCounter = SharedMeter.CreateCounter<long>("slatedb.wal.bytes", "By", "Bytes of WAL objects stored.");
    private static readonly Counter<long> WalDroppedCounter = SharedMeter.CreateCounter<long>("slatedb.wal.dropped_objects", "{object}", "Corrupt WAL tail objects dropped on open (TolerateCorruptTail).");
    private static readonly Counter<long> L0FlushesCounter = SharedMeter.CreateCounter<long>("slatedb.l0.flushes", "{sst}", "Memtables flushed to L0 SSTs.");
    private static readonly Counter<long> L0BytesCounter = SharedMeter.CreateCounter<long>("slatedb.l0.bytes", "By", "Bytes of L0 SSTs stored.");
    private static readonly Counter<long> BackpressureCounter = SharedMeter.CreateCounter<long>("slatedb.backpressure.waits", "{wait}", "Writes that waited for flushes because unflushed bytes reached the limit.");
    private static readonly Counter<long> CompactionsCounter = SharedMeter.CreateCounter<long>("slatedb.compactions", "{compaction}", "Compactions published.");
    private static readonly Counter<long> CompactionBytesReadCounter = SharedMeter.CreateCounter<long>("slatedb.compaction.bytes_read", "By", "Bytes of SSTs compactions read.");
    private static readonly Counter<long> CompactionBytesWrittenCounter = SharedMeter.CreateCounter<long>("slatedb.compaction.bytes_written", "By", "Bytes of SSTs compactions wrote.");
    private static readonly Counter<long> L0StallsCounter = SharedMeter.CreateCounter<long>("slatedb.l0.stalls", "{stall}", "Memtable flushes that waited because L0 held L0MaxSsts SSTs.");
    private static readonly Counter<long> L0StallTimeCounter = SharedMeter.CreateCounter<long>("slatedb.l0.stall_time", "ms", "Time memtable flushes waited for compaction to reduce L0.");
    private static readonly Counter<long> GetsCounter = SharedMeter.CreateCounter<long>("slatedb.gets", "{get}", "Point lookups.");
    private static readonly Counter<long> ScansCounter = SharedMeter.CreateCounter<long>("slatedb.scans", "{scan}", "Scans started.");
    private static readonly Counter<long> CheckpointsCounter = SharedMeter.CreateCounter<long>("slatedb.checkpoints", "{checkpoint}", "Checkpoints created by the writer.");
    private static readonly Counter<long> GcRunsCounter = SharedMeter.CreateCounter<long>("slatedb.gc.runs", "{run}", "Garbage collection runs finished.");
    private static readonly Counter<long> GcDeletedCounter = SharedMeter.CreateCounter<long>("slatedb.gc.deleted", "{object}", "Objects garbage collection deleted (or would delete, in a dry run), by slatedb.gc.kind.");

    private static readonly ObservableUpDownCounter<long> UnflushedGauge = SharedMeter.CreateObservableUpDownCounter(
        "slatedb.unflushed_bytes", () => ObserveAll(static r => r.UnflushedBytes()), "By", "Bytes written but not yet in L0 (memtables and WAL buffers).");

    private static readonly ObservableUpDownCounter<long> L0Gauge = SharedMeter.CreateObservableUpDownCounter(
        "slatedb.l0.ssts", () => ObserveAll(static r => r.L0Ssts()), "{sst}", "L0 SSTs in the manifest the writer reads.");

    private static readonly ObservableUpDownCounter<long> RunsGauge = SharedMeter.CreateObservableUpDownCounter(
        "slatedb.sorted_runs", () => ObserveAll(static r => r.SortedRuns()), "{run}", "Sorted runs in the manifest the writer reads.");

    private static readonly ObservableGauge<double> WalAgeGauge = SharedMeter.CreateObservableGauge(
        "slatedb.wal.last_write_age", ObserveWalAge, "s", "Seconds since the writer last stored a WAL object (its fence, before the first write).");

    private readonly KeyValuePair<string, object?> _tag;

    public DbMetrics(string dbPath) => _tag = new KeyValuePair<string, object?>("slatedb.db", dbPath);

    public void Write(int rows, long bytes)
    {
        if (WritesCounter.Enabled)
        {
            WritesCounter.Add(1, _tag);
            RowsCounter.Add(rows, _tag);
            BytesCounter.Add(bytes, _tag);
        }
    }

    public void WalFlushed(long bytes)
    {
        WalFlushesCounter.Add(1, _tag);
        WalBytesCounter.Add(bytes, _tag);
    }

    public void WalObjectDropped() => WalDroppedCounter.Add(1, _tag);

    public void L0Flushed(long bytes)
    {
        L0FlushesCounter.Add(1, _tag);
        L0BytesCounter.Add(bytes, _tag);
    }

    public void Compacted(long bytesRead, long bytesWritten)
    {
        CompactionsCounter.Add(1, _tag);
        CompactionBytesReadCounter.Add(bytesRead, _tag);
        CompactionBytesWrittenCounter.Add(bytesWritten, _tag);
    }

    public void L0StallStarted() => L0StallsCounter.Add(1, _tag);

    public void L0StallEnded(long milliseconds) => L0StallTimeCounter.Add(milliseconds, _tag);

    public void BackpressureWait() => BackpressureCounter.Add(1, _tag);

    public void Get()
    {
        if (GetsCounter.Enabled)
        {
            GetsCounter.Add(1, _tag);
        }
    }

    public void Scan() => ScansCounter.Add(1, _tag);

    public void CheckpointCreated() => CheckpointsCounter.Add(1, _tag);

    /// <summary>Counts a finished garbage collection run of <paramref name="dbPath"/> (the collector also runs without an open database).</summary>
    public static void GcFinished(string dbPath, GcResult result)
    {
        var db = new KeyValuePair<string, object?>("slatedb.db", dbPath);
        GcRunsCounter.Add(1, db);
        GcDeletedCounter.Add(result.DeletedManifests, db, new("slatedb.gc.kind", "manifest"));
        GcDeletedCounter.Add(result.DeletedWalSsts, db, new("slatedb.gc.kind", "wal_sst"));
        GcDeletedCounter.Add(result.DeletedSsts, db, new("slatedb.gc.kind", "sst"));
        GcDeletedCounter.Add(result.DeletedCheckpoints, db, new("slatedb.gc.kind", "checkpoint"));
    }

    /// <summary>Reports this database's gauges from now on (an open database that writes).</summary>
    public void Observe(Func<long> unflushedBytes, Func<int> l0Ssts, Func<int> sortedRuns, Func<DateTimeOffset> lastWalStored, TimeProvider time)
        => Open.AddOrUpdate(this, new Readings(unflushedBytes, l0Ssts, sortedRuns, lastWalStored, time));

    /// <summary>Stops reporting this database's gauges (closed).</summary>
    public void StopObserving() => Open.Remove(this);

    private static IEnumerable<Measurement<long>> ObserveAll(Func<Readings, long> read)
    {
        foreach (var (metrics, readings) in Open)
        {
            yield return new Measurement<long>(read(readings), metrics._tag);
        }
    }

    private static IEnumerable<Measurement<double>> ObserveWalAge()
    {
        foreach (var (metrics, readings) in Open)
        {
            yield return new Measurement<double>((readings.Time.GetUtcNow() - readings.LastWalStored()).TotalSeconds, metrics._tag);
        }
    }

    private sealed record Readings(
        Func<long> UnflushedBytes, Func<int> L0Ssts, Func<int> SortedRuns, Func<DateTimeOffset> LastWalStored, TimeProvider Time);
}
