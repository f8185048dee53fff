using System.Globalization;

namespace SlateDb.Bench;

/// <summary>The command line: a workload name followed by <c>--option value</c> pairs.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        usage: dotnet run -c Release --project bench/SlateDb.Bench -- <workload> [options]

        workloads
          fillseq      puts in key order, not awaiting durability
          fillrandom   puts in random key order, not awaiting durability
          durable      concurrent writers, each put awaits durability
          readrandom   random gets after a fill and a memtable flush (data in the block cache)
          scan         one full scan after a fill and a memtable flush
          compaction   a long write-heavy fillrandom (default 20 M keys, batches of 100) with compaction on, then
                       readrandom and a full scan after compaction, for SlateDb and RocksDB in one run:
                       ingest over time, write amplification, L0 count, memory (see --engines)
          clone        a database of >= 1 GiB on local files (64 KiB values unless --value-size), then a timed
                       DbAdmin.CreateCloneAsync with its PUTs and bytes written (not part of all)
          copy         the same database, then DbAdmin.CopyAsync to another local-file store timed side by
                       side with cp -r of the same folder, and their ratio (not part of all)
          compare      SlateDb, RocksDB and ZoneTree side by side; cost: SlateDb's object-store requests per
                       million operations and when idle (see `compare --help`; not part of all)
          promote      hot-standby failover: a writer takes --num puts (default 8000), a following reader catches
                       up, the writer acknowledges one more durable put and is abandoned, the reader is promoted;
                       prints each round's PromoteAsync time (7 rounds; --store may be any store URI)
          cdc          change data capture: --num rows (default 1 M; --batch per write batch) written to a WAL that is
                       kept, then WalReader reads the whole change feed, 5 rounds; prints rows/s (not part of all)
          transaction  concurrent transfers between 10 000 accounts (--writers workers, default 4) as
                       transactions (--isolation snapshot | serializable) or plain gets + batches
                       (--isolation batch); reports the abort rate (not part of all)
          getmany      rounds of 100 random keys after a fill to L0: one GetManyAsync vs 100 GetAsync, cold
                       (a fresh instance per round) and warm (not part of all)
          merge        counter increments of 1 000 counters (--writers workers, default 1): merge operands with an
                       adding merge operator against get + put, then every counter read back (not part of all)
          deleterange  after a fill of --num keys (default 1 M) to L0: one durable DeleteRangeAsync over all of
                       them vs deleting them one by one in durable batches of 1000; time and bytes to the store,
                       memtable flush included (not part of all)
          all          each of the above once with defaults (fillrandom with batch 1 and 100,
                       durable with 1, 64 and 1000 writers), then a summary table

        options
          --num N               operations (puts, gets or keys); default depends on the workload
          --batch N             puts per WriteBatch for fills (default 1)
          --writers N           concurrent writers for durable (default 64); also for fills (default 1)
          --readers N           concurrent readers for readrandom (default 1)
          --flush-interval T    WAL flush interval, e.g. 100ms or 1s (default 100ms)
          --key-size N          key bytes (default 16)
          --value-size N        value bytes (default 100)
          --store S             memory | file:<dir> | a store URI: s3://bucket/prefix?endpoint=URL&region=R,
                                az://container/prefix, file:///dir (default: local files in a new temp folder,
                                deleted afterwards; on a named store the run deletes its own objects)
          --isolation I         transaction: snapshot (default) | serializable | batch
          --seed N              seed for keys and values (default 1)
          --engines E           compaction: slatedb,rocksdb (default), or one of them
          --block-cache N       compaction: block cache bytes for both engines (default 536870912)
          --reads N             compaction: gets of readrandom after the fill (default 1000000)
          --report-every T      compaction: progress line interval (default 10s)
          --warmup N            operations of an unmeasured run of the same workload on a scratch database
                                first, so the JIT has optimized the hot paths (default: a fifth of --num;
                                0 measures a cold start)
        """;

    public string Workload { get; private set; } = "";

    public long? Num { get; private set; }

    public int Batch { get; private set; } = 1;

    public int? Writers { get; private set; }

    public int Readers { get; private set; } = 1;

    public TimeSpan FlushInterval { get; private set; } = TimeSpan.FromMilliseconds(100);

    public int KeySize { get; private set; } = 16;

    public int ValueSize { get; private set; } = 100;

    public string? Store { get; private set; }

    public int Seed { get; private set; } = 1;

    public string Isolation { get; private set; } = "snapshot";

    public long? Warmup { get; private set; }

    public IReadOnlyList<string> Engines { get; private set; } = ["slatedb", "rocksdb"];

    public long BlockCacheBytes { get; private set; } = 512L * 1024 * 1024;

    public long Reads { get; private set; } = 1_000_000;

    public TimeSpan ReportEvery { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>The operations the workload runs: --num, or the workload's default.</summary>
    public long EffectiveNum => Num ?? Workload switch
    {
        "fillseq" or "fillrandom" => Batch >= 10 ? 1_000_000 : 300_000,
        "compaction" => 20_000_000,
        "durable" => Math.Max(500, (Writers ?? 64) * 20L),
        "readrandom" => 300_000,
        "transaction" => 200_000,
        "getmany" => 100_000,
        "merge" => 200_000,
        "deleterange" => 1_000_000,
        "clone" or "copy" => (long)Math.Ceiling(1.05 * 1024 * 1024 * 1024 / ValueSize),
        "promote" => 8_000,
        "cdc" => 1_000_000,
        _ => 1_000_000,
    };

    /// <summary>The operations of the warm-up run (0: none).</summary>
    public long WarmupOps => Warmup ?? Math.Max(1, EffectiveNum / 5);

    /// <summary>Parses <paramref name="args"/>; throws <see cref="ArgumentException"/> naming the bad option.</summary>
    public static BenchOptions Parse(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new ArgumentException("Name a workload first.");
        }

        if (args[0] is not ("fillseq" or "fillrandom" or "durable" or "readrandom" or "scan" or "compaction" or "clone" or "copy" or "promote" or "cdc" or "transaction" or "getmany" or "merge" or "deleterange" or "all"))
        {
            throw new ArgumentException($"Unknown workload '{args[0]}'.");
        }

        var options = new BenchOptions { Workload = args[0] };
        if (options.Workload == "compaction")
        {
            options.Batch = 100;
        }

        if (args[0] is "clone" or "copy")
        {
            options.ValueSize = 64 * 1024;
        }

        for (var i = 1; i < args.Length; i += 2)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"The option {name} needs a value.");
            }

            var value = args[i + 1];
            switch (name)
            {
                case "--num": options.Num = PositiveLong(name, value); break;
                case "--batch": options.Batch = PositiveInt(name, value); break;
                case "--writers": options.Writers = PositiveInt(name, value); break;
                case "--readers": options.Readers = PositiveInt(name, value); break;
                case "--flush-interval": options.FlushInterval = Duration(name, value); break;
                case "--key-size": options.KeySize = Math.Max(8, PositiveInt(name, value)); break;
                case "--value-size": options.ValueSize = PositiveInt(name, value); break;
                case "--store": options.Store = value; break;
                case "--seed": options.Seed = PositiveInt(name, value); break;
                case "--engines": options.Engines = ParseEngines(value); break;
                case "--block-cache": options.BlockCacheBytes = PositiveLong(name, value); break;
                case "--reads": options.Reads = PositiveLong(name, value); break;
                case "--report-every": options.ReportEvery = Duration(name, value); break;
                case "--isolation":
                    options.Isolation = value is "snapshot" or "serializable" or "batch"
                        ? value
                        : throw new ArgumentException($"--isolation takes snapshot, serializable or batch, not '{value}'.");
                    break;
                case "--warmup": options.Warmup = value == "0" ? 0 : PositiveLong(name, value); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        return options;
    }

    /// <summary>A copy for one run of a workload with some options changed (used by <c>all</c>).</summary>
    public BenchOptions With(string workload, int? batch = null, int? writers = null)
    {
        var copy = (BenchOptions)MemberwiseClone();
        copy.Workload = workload;
        copy.Batch = batch ?? Batch;
        copy.Writers = writers ?? Writers;
        return copy;
    }

    /// <summary>A copy for the warm-up run: <see cref="WarmupOps"/> operations, another seed.</summary>
    public BenchOptions ForWarmup()
    {
        var copy = (BenchOptions)MemberwiseClone();
        copy.Num = WarmupOps;
        copy.Seed = Seed + 1;
        copy.Warmup = 0;
        return copy;
    }

    private static string[] ParseEngines(string value)
    {
        var engines = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return engines.Length > 0 && engines.All(e => e is "slatedb" or "rocksdb")
            ? engines
            : throw new ArgumentException($"--engines takes slatedb, rocksdb or both (comma-separated), not '{value}'.");
    }

    private static long PositiveLong(string name, string value)
        => long.TryParse(value.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} takes a positive whole number, not '{value}'.");

    private static int PositiveInt(string name, string value)
        => checked((int)PositiveLong(name, value));

    private static TimeSpan Duration(string name, string value)
    {
        var (number, scale) = value.EndsWith("ms", StringComparison.Ordinal) ? (value[..^2], 1.0)
            : value.EndsWith('s') ? (value[..^1], 1000.0)
            : (value, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0
            ? TimeSpan.FromMilliseconds(n * scale)
            : throw new ArgumentException($"{name} takes a duration such as 100ms or 1s, not '{value}'.");
    }
}
