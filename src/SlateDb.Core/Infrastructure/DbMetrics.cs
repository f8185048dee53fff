using System.Diagnostics.Metrics;

namespace SlateDb.Infrastructure;

/// <summary>
/// The database's instruments on the <see cref="Meter"/> named <c>SlateDb</c>. Every measurement carries the tag
/// <c>slatedb.db</c> (the database path) so several databases in one process stay apart.
/// </summary>
internal sealed class DbMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "SlateDb";

    private static readonly Meter SharedMeter = new(MeterName);
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
}
