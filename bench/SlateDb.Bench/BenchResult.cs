using System.Globalization;

namespace SlateDb.Bench;

/// <summary>What one workload measured, and how it prints.</summary>
internal sealed record BenchResult(
    string Name,
    long Ops,
    TimeSpan Elapsed,
    Latencies Latencies,
    string LatencyUnit,
    long UserBytes,
    StoreCounters Store,
    string? Note = null)
{
    public double OpsPerSecond => Ops / Math.Max(Elapsed.TotalSeconds, 1e-9);

    public void Print(TextWriter output)
    {
        output.WriteLine(
            $"  {OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)} ops/s  ({Ops.ToString("N0", CultureInfo.InvariantCulture)} ops in {Elapsed.TotalSeconds:0.000} s)");
        output.WriteLine(
            $"  latency {LatencyUnit}: p50 {Format(Latencies.Percentile(50))}  p99 {Format(Latencies.Percentile(99))}  max {Format(Latencies.Percentile(100))}");
        output.WriteLine($"  bytes written: {Bytes(UserBytes)} of keys and values, {Bytes(Store.BytesWritten)} to the object store");
        output.WriteLine($"  object store: {Store}");
        if (Note is not null)
        {
            output.WriteLine($"  {Note}");
        }
    }

    /// <summary>A Markdown table row for the summary (see <see cref="TableHeader"/>).</summary>
    public string TableRow()
        => $"| {Name} | {OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)} | {Format(Latencies.Percentile(50))} | " +
           $"{Format(Latencies.Percentile(99))} | {Bytes(Store.BytesWritten)} | {Store.Puts} | {Store.Gets} | {Store.Lists} | {Store.Heads} |";

    public const string TableHeader = """
        | workload | ops/s | p50 | p99 | bytes to store | PUT | GET | LIST | HEAD |
        |---|---:|---:|---:|---:|---:|---:|---:|---:|
        """;

    public static string Format(TimeSpan t)
        => t.TotalMilliseconds >= 1 ? $"{t.TotalMilliseconds:0.0} ms" : $"{t.TotalMicroseconds:0.0} µs";

    public static string Bytes(long n)
        => n >= 1 << 20 ? $"{n / (double)(1 << 20):0.0} MiB" : n >= 1 << 10 ? $"{n / 1024.0:0.0} KiB" : $"{n} B";
}
