using System.Globalization;

namespace SlateDb.Bench.Compare;

/// <summary>The command line of <c>compare</c> and <c>cost</c>: <c>--option value</c> pairs.</summary>
internal sealed class CompareOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench/SlateDb.Bench -- compare [options]
               dotnet run -c Release --project bench/SlateDb.Bench -- cost [options]

        compare runs one workload definition on SlateDb (local files), RocksDB and ZoneTree in one process, one
        engine after another, for several rounds after the same warm-up, and prints the median ops/s per engine,
        SlateDb / best peer, p50/p99, peak memory and bytes written.
        cost runs SlateDb's workloads alone on --store and prints object-store requests and bytes per million
        operations, and the requests an idle open database makes (a short run on an injected clock, extrapolated).

        options
          --num N            keys loaded and written by the fills (default 1000000)
          --reads N          operations of readrandom, readmissing and mixed; scan10 does a tenth (default 300000)
          --batch N          rows per write batch for the fills (default 100)
          --durable-ops N    durable puts per writer count (default: max(1000, 50 x writers))
          --rounds N         measured rounds (default 3)
          --warmup N         keys of the unmeasured warm-up round every engine runs first (default num / 10; 0: none)
          --cache-mb N       block-cache budget of each engine, MiB (default 64)
          --key-size N       key bytes (default 16)   --value-size N   value bytes (default 100)
          --engines LIST     comma-separated subset of slatedb,rocksdb,zonetree (default all)
          --workloads LIST   comma-separated subset of the workload names (default all)
          --store URI        SlateDb's store: file:///dir, s3://bucket/prefix?endpoint=…, az://container/prefix
                             (default: local files in a temp folder); the peers always use local files
          --idle-minutes N   cost: minutes of idle time simulated on the injected clock (default 60)
          --seed N           seed (default 1)
        """;

    public static readonly string[] AllWorkloads =
    [
        "fillseq", "fillrandom", "readrandom", "readmissing", "scan10", "scanall", "readrandom-reopen", "mixed-80-20",
        "scanall-reopen", "durable-1", "put-1", "durable-64",
    ];

    public long Num { get; private set; } = 1_000_000;

    public long Reads { get; private set; } = 300_000;

    public int Batch { get; private set; } = 100;

    public long? DurableOps { get; private set; }

    public int Rounds { get; private set; } = 3;

    public long? Warmup { get; private set; }

    public long CacheBytes { get; private set; } = 64L << 20;

    public int KeySize { get; private set; } = 16;

    public int ValueSize { get; private set; } = 100;

    public IReadOnlyList<string> Engines { get; private set; } = ["slatedb", "rocksdb", "zonetree"];

    public IReadOnlyList<string> Workloads { get; private set; } = AllWorkloads;

    public string? Store { get; private set; }

    public int IdleMinutes { get; private set; } = 60;

    public int Seed { get; private set; } = 1;

    public long WarmupNum => Warmup ?? Num / 10;

    public long DurableOpsFor(int writers) => DurableOps ?? Math.Max(1000, 50L * writers);

    /// <summary>A copy sized for the warm-up round.</summary>
    public CompareOptions ForWarmup()
    {
        var copy = (CompareOptions)MemberwiseClone();
        copy.Num = Math.Max(1000, WarmupNum);
        copy.Reads = Math.Max(1000, Reads / 10);
        copy.DurableOps = Math.Max(64, DurableOpsFor(64) / 10);
        return copy;
    }

    /// <summary>Parses the options after the command name; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public static CompareOptions Parse(IReadOnlyList<string> args)
    {
        var o = new CompareOptions();
        for (var i = 0; i < args.Count; i += 2)
        {
            var name = args[i];
            if (i + 1 >= args.Count)
            {
                throw new ArgumentException($"The option {name} needs a value.");
            }

            var value = args[i + 1];
            switch (name)
            {
                case "--num": o.Num = Positive(name, value); break;
                case "--reads": o.Reads = Positive(name, value); break;
                case "--batch": o.Batch = (int)Positive(name, value); break;
                case "--durable-ops": o.DurableOps = Positive(name, value); break;
                case "--rounds": o.Rounds = (int)Positive(name, value); break;
                case "--warmup": o.Warmup = value == "0" ? 0 : Positive(name, value); break;
                case "--cache-mb": o.CacheBytes = Positive(name, value) << 20; break;
                case "--key-size": o.KeySize = (int)Math.Max(16, Positive(name, value)); break;
                case "--value-size": o.ValueSize = (int)Positive(name, value); break;
                case "--engines": o.Engines = List(name, value, ["slatedb", "rocksdb", "zonetree"]); break;
                case "--workloads": o.Workloads = List(name, value, AllWorkloads); break;
                case "--store": o.Store = value; break;
                case "--idle-minutes": o.IdleMinutes = (int)Positive(name, value); break;
                case "--seed": o.Seed = (int)Positive(name, value); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        return o;
    }

    private static long Positive(string name, string value)
        => long.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} takes a positive whole number, not '{value}'.");

    private static string[] List(string name, string value, IReadOnlyCollection<string> allowed)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = items.FirstOrDefault(i => !allowed.Contains(i));
        return unknown is null && items.Length > 0
            ? items
            : throw new ArgumentException($"{name} takes a comma-separated subset of {string.Join(',', allowed)}, not '{value}'.");
    }
}
