using System.Runtime.InteropServices;
using SlateDb.Bench;

// A db_bench-style command-line harness: see BenchOptions.Usage.
if (args.Length > 0 && args[0] is "compare" or "cost")
{
    return await SlateDb.Bench.Compare.CompareCommand.RunAsync(args[0], args[1..]);
}

if (args.Length > 0 && args[0] == "scancold")
{
    return await ScanColdBench.RunAsync(args[1..]);
}

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

if (options.Workload == "compaction")
{
    await CompactionWorkload.RunAsync(options);
    return 0;
}

if (options.Workload == "promote")
{
    return await PromoteBench.RunAsync(options);
}

if (options.Workload == "cdc")
{
    return await CdcBench.RunAsync(options);
}

if (options.Workload is "clone" or "copy")
{
    return await CloneCopyBench.RunAsync(options);
}

if (options.Workload is "getmany" or "deleterange")
{
    var reads = options.Workload == "getmany" ? await TransactionWorkloads.GetManyAsync(options) : await DeleteRangeWorkload.RunAsync(options);
    Console.WriteLine(BenchResult.TableHeader);
    reads.ToList().ForEach(r => Console.WriteLine(r.TableRow()));
    reads.ToList().ForEach(r => Console.WriteLine($"{r.Name}: {r.Note}"));
    return 0;
}

if (options.Workload is "merge")
{
    var increments = await MergeWorkload.RunAsync(options);
    Console.WriteLine(BenchResult.TableHeader);
    increments.ToList().ForEach(r => Console.WriteLine(r.TableRow()));
    increments.ToList().ForEach(r => Console.WriteLine($"{r.Name}: {r.Note}"));
    return 0;
}

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
    if (run.WarmupOps > 0)
    {
        // Same workload, its own scratch database, not reported: the measured run then starts with optimized code.
        await RunAsync(run.ForWarmup());
    }

    var result = await RunAsync(run);
    Console.WriteLine();
    Console.WriteLine(result.Name);
    if (run.WarmupOps > 0)
    {
        Console.WriteLine($"  after a warm-up of {run.WarmupOps:N0} ops on a scratch database");
    }

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

static Task<BenchResult> RunAsync(BenchOptions run) => run.Workload switch
{
    "fillseq" => Workloads.FillAsync(run, sequential: true),
    "fillrandom" => Workloads.FillAsync(run, sequential: false),
    "durable" => Workloads.DurableAsync(run),
    "readrandom" => Workloads.ReadRandomAsync(run),
    "transaction" => TransactionWorkloads.TransferAsync(run),
    _ => Workloads.ScanAsync(run),
};
