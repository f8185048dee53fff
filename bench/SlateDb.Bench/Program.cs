using System.Runtime.InteropServices;
using SlateDb.Bench;

// A db_bench-style command-line harness: see BenchOptions.Usage.
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

Console.WriteLine($"SlateDb bench: {string.Join(' ', args)}");
Console.WriteLine($".NET {Environment.Version}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, " +
                  $"key {options.KeySize} B, value {options.ValueSize} B, store {options.Store ?? "local files (temp folder)"}");

var runs = options.Workload != "all"
    ? [options]
    : new[]
    {
        options.With("fillseq"),
        options.With("fillrandom", batch: 1),
        options.With("fillrandom", batch: 100),
        options.With("durable", writers: 1),
        options.With("durable", writers: 64),
        options.With("durable", writers: 1000),
        options.With("readrandom"),
        options.With("scan"),
    };

var results = new List<BenchResult>();
foreach (var run in runs)
{
    var result = run.Workload switch
    {
        "fillseq" => await Workloads.FillAsync(run, sequential: true),
        "fillrandom" => await Workloads.FillAsync(run, sequential: false),
        "durable" => await Workloads.DurableAsync(run),
        "readrandom" => await Workloads.ReadRandomAsync(run),
        _ => await Workloads.ScanAsync(run),
    };
    Console.WriteLine();
    Console.WriteLine(result.Name);
    result.Print(Console.Out);
    results.Add(result);
}

if (results.Count > 1)
{
    Console.WriteLine();
    Console.WriteLine(BenchResult.TableHeader);
    results.ForEach(r => Console.WriteLine(r.TableRow()));
}

return 0;
