using System.Globalization;

namespace SlateDb.Bench.Compare;

/// <summary>Prints the compare tables: medians per engine and ratio, then the details, then SlateDb's requests.</summary>
internal static class CompareReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Print(TextWriter w, CompareOptions o, IReadOnlyList<EngineKind> kinds, Dictionary<(string Workload, string Engine), List<Sample>> samples)
    {
        var engines = kinds.Select(k => k.Name).ToList();
        var workloads = CompareOptions.AllWorkloads.Where(o.Workloads.Contains).ToList();
        var peers = engines.Where(e => e != "SlateDb").ToList();

        w.WriteLine();
        w.WriteLine($"ops/s, median of {o.Rounds} round(s) (rows/s for scanall and scanall-reopen; scans/s for scan10; put-1: single object-store PUTs, SlateDb only)");
        w.WriteLine();
        w.WriteLine("| workload | " + string.Join(" | ", engines) + (peers.Count > 0 && engines.Contains("SlateDb") ? " | SlateDb / best peer |" : " |"));
        w.WriteLine("|---|" + string.Concat(engines.Select(_ => "---:|")) + (peers.Count > 0 && engines.Contains("SlateDb") ? "---:|" : ""));
        foreach (var workload in workloads)
        {
            var cells = engines.Select(e => Median(samples, workload, e) is { } m ? m.OpsPerSecond.ToString("N0", Inv) : "—");
            var line = $"| {workload} | {string.Join(" | ", cells)} |";
            if (peers.Count > 0 && Median(samples, workload, "SlateDb") is { } ours)
            {
                // Durable workloads compare only with peers whose durable writes reach stable storage.
                var best = kinds.Where(k => k.Name != "SlateDb" && (k.DurableWritesSync || !workload.StartsWith("durable", StringComparison.Ordinal)))
                    .Select(k => Median(samples, workload, k.Name)?.OpsPerSecond ?? 0).DefaultIfEmpty(0).Max();
                line += best > 0 ? $" {(ours.OpsPerSecond / best).ToString("0.00", Inv)} |" : " — |";
            }

            w.WriteLine(line);
        }

        w.WriteLine();
        w.WriteLine("Details (the median round): latency per operation (per batch for fills, per scan for scans), how far the " +
                    "process's working set rose during the workload (peak minus start), bytes the process wrote (write calls, /proc/self/io)");
        w.WriteLine();
        w.WriteLine("| workload | engine | ops/s (min–max) | p50 | p99 | memory growth | bytes written |");
        w.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var workload in workloads)
        {
            foreach (var engine in engines)
            {
                if (Median(samples, workload, engine) is not { } m)
                {
                    continue;
                }

                var all = samples[(workload, engine)];
                w.WriteLine($"| {workload} | {engine} | {m.OpsPerSecond.ToString("N0", Inv)} ({all.Min(s => s.OpsPerSecond).ToString("N0", Inv)}–" +
                            $"{all.Max(s => s.OpsPerSecond).ToString("N0", Inv)}) | {BenchResult.Format(m.P50)} | {BenchResult.Format(m.P99)} | " +
                            $"{BenchResult.Bytes(m.PeakWorkingSet)} | {(m.BytesWritten < 0 ? "n/a" : BenchResult.Bytes(m.BytesWritten))} |");
            }
        }

        if (!engines.Contains("SlateDb"))
        {
            return;
        }

        w.WriteLine();
        w.WriteLine("SlateDb object-store requests per million operations (the median round; fills include their final memtable flush)");
        w.WriteLine();
        w.WriteLine("| workload | PUT | GET | LIST | HEAD | DELETE | bytes written | bytes read |");
        w.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var workload in workloads)
        {
            if (Median(samples, workload, "SlateDb") is not { Requests: { } r } m)
            {
                continue;
            }

            var scale = 1_000_000.0 / m.Ops;
            w.WriteLine($"| {workload} | {Per(r.Puts, scale)} | {Per(r.Gets, scale)} | {Per(r.Lists, scale)} | {Per(r.Heads, scale)} | " +
                        $"{Per(r.Deletes, scale)} | {BenchResult.Bytes((long)(r.BytesWritten * scale))} | {BenchResult.Bytes((long)(r.BytesRead * scale))} |");
        }
    }

    private static string Per(long count, double scale) => (count * scale).ToString(count * scale >= 100 ? "N0" : "0.#", Inv);

    private static Sample? Median(Dictionary<(string Workload, string Engine), List<Sample>> samples, string workload, string engine)
    {
        if (!samples.TryGetValue((workload, engine), out var list) || list.Count == 0)
        {
            return null;
        }

        var sorted = list.OrderBy(s => s.OpsPerSecond).ToList();
        return sorted[(sorted.Count - 1) / 2];
    }
}
