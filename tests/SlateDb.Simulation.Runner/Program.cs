using System.Diagnostics;
using System.Globalization;
using SlateDb.Testing.Simulation.Dst;

// Usage: --seeds N [--start S] [--steps M] [--parallel P] [--max-minutes T] [--no-toxics] [--local-files] [--separate-wal]
//        --seed S [--steps M] [--no-toxics] [--local-files] [--separate-wal] [--trace]   (replays one seed and prints its trace)
var seeds = 1000;
var start = 1;
int? single = null;
var options = new DstOptions { Steps = 200 };
var parallel = Environment.ProcessorCount;
double? maxMinutes = null;
var printTrace = false;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
    int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--seeds": seeds = NextInt(); break;
        case "--start": start = NextInt(); break;
        case "--seed": single = NextInt(); break;
        case "--steps": options = options with { Steps = NextInt() }; break;
        case "--parallel": parallel = NextInt(); break;
        case "--max-minutes": maxMinutes = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--no-toxics": options = options with { Toxics = false }; break;
        case "--local-files": options = options with { LocalFiles = true }; break;
        case "--separate-wal": options = options with { SeparateWalStore = true }; break;
        case "--trace": printTrace = true; break;
        default:
            Console.Error.WriteLine($"Unknown argument {args[i]}. Usage: --seeds N [--start S] [--steps M] [--parallel P] [--max-minutes T] [--no-toxics] [--local-files] [--separate-wal] | --seed S [--steps M] [--trace]");
            return 2;
    }
}

if (single is { } seed)
{
    try
    {
        var result = await new DstRun(seed, options with { KeepTrace = printTrace }).RunAsync();
        foreach (var line in result.Trace)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine($"seed {seed} passed: {result.Steps} steps, {result.Crashes} crashes, {result.WritesVerified} writes verified, trace {result.TraceHash}");
        return 0;
    }
    catch (DstFailedException ex)
    {
        Console.WriteLine(ex.Message);
        Console.WriteLine(ex.InnerException);
        return 1;
    }
}

var totals = new DstTotals();
var failures = new List<DstFailedException>();
var clock = Stopwatch.StartNew();
var next = start - 1;
var end = start + seeds - 1;
var stopped = false;
async Task WorkAsync()
{
    while (true)
    {
        if (maxMinutes is { } limit && clock.Elapsed.TotalMinutes >= limit)
        {
            stopped = true;
            return;
        }

        var s = Interlocked.Increment(ref next);
        if (s > end)
        {
            return;
        }

        try
        {
            totals.Add(await new DstRun(s, options).RunAsync());
        }
        catch (DstFailedException ex)
        {
            lock (failures)
            {
                failures.Add(ex);
                totals.AddFailure(ex.LostData);

                Console.WriteLine(ex.Message);
                Console.WriteLine(ex.InnerException?.ToString());
            }
        }

        var done = totals.Runs;
        if (done % 250 == 0)
        {
            Console.WriteLine($"[{clock.Elapsed:hh\\:mm\\:ss}] {done} seeds done, {failures.Count} failed");
        }
    }
}

await Task.WhenAll(Enumerable.Range(0, Math.Max(1, parallel)).Select(_ => Task.Run(WorkAsync)));
Console.WriteLine(
    $"seeds {start}..{start + totals.Runs - 1}{(stopped ? $" (stopped at the {maxMinutes}-minute limit)" : "")}, " +
    $"{options.Steps} steps each, {clock.Elapsed.TotalMinutes:0.0} min, {parallel} in parallel, " +
    $"{totals.Fences} fences, {totals.ToxicStrikes} toxic strikes, {failures.Count} failed" +
    (failures.Count > 0 ? $" (seeds {string.Join(", ", failures.Select(f => f.Seed).Order())})" : ""));
Console.WriteLine(totals.SummaryLine());
return failures.Count == 0 ? 0 : 1;
