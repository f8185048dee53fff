using System.Globalization;

namespace SlateDb.Bench.Compare;

/// <summary>What one engine did in one workload of one round.</summary>
internal sealed record Sample(long Ops, TimeSpan Elapsed, TimeSpan P50, TimeSpan P99, long PeakWorkingSet, long BytesWritten, StoreCounters? Requests)
{
    public double OpsPerSecond => Ops / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>
/// Measures one workload: elapsed time of its timed part, latency percentiles, how far the process's working set
/// rose above its level at the start while it ran (sampled every 5 ms after a full GC, so native memory such as
/// RocksDB's counts; the bench uses server GC, which keeps heap it once committed), and the bytes the
/// process passed to write calls (/proc/self/io wchar, so every engine's WAL, table and compaction writes count
/// alike; -1 where the file does not exist).
/// </summary>
internal sealed class Measure : IDisposable
{
    private readonly Thread _sampler;
    private readonly long _written0;
    private readonly long _start;
    private volatile bool _stop;
    private long _peak;

    private Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        _start = _peak = Environment.WorkingSet;
        _written0 = BytesWrittenByProcess();
        _sampler = new Thread(Sample) { IsBackground = true, Name = "peak memory sampler" };
        _sampler.Start();
    }

    public static Measure Start() => new();

    /// <summary>Stops sampling; returns (peak working set minus the start's, bytes written since the start).</summary>
    public (long Peak, long Written) Stop()
    {
        _stop = true;
        _sampler.Join();
        var now = BytesWrittenByProcess();
        return (Interlocked.Read(ref _peak) - _start, _written0 < 0 || now < 0 ? -1 : now - _written0);
    }

    public void Dispose()
    {
        _stop = true;
        _sampler.Join();
    }

    public static long BytesWrittenByProcess()
    {
        const string Path = "/proc/self/io";
        if (!File.Exists(Path))
        {
            return -1;
        }

        foreach (var line in File.ReadLines(Path))
        {
            if (line.StartsWith("wchar:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }

    private void Sample()
    {
        while (!_stop)
        {
            var ws = Environment.WorkingSet;
            if (ws > Interlocked.Read(ref _peak))
            {
                Interlocked.Exchange(ref _peak, ws);
            }

            Thread.Sleep(5);
        }
    }
}
