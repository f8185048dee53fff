using System.Diagnostics;
using SlateDb.Infrastructure;
using SlateDb.ObjectStore;

namespace SlateDb.Bench;

/// <summary>
/// compaction: a long write-heavy fillrandom with compaction on, then readrandom and a full scan once compaction has
/// caught up, run for SlateDb and RocksDB (same keys, values, order and block cache) in one invocation. Reports ingest
/// over time (steady state = the second half of the fill), write amplification (bytes written / bytes of user data),
/// L0 count and process memory over time, and the read figures after compaction.
/// </summary>
internal static class CompactionWorkload
{
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    private static readonly TimeProvider Clock = TimeProvider.System;

    public static async Task<List<CompactionFigures>> RunAsync(BenchOptions o)
    {
        var figures = new List<CompactionFigures>();
        foreach (var engine in o.Engines)
        {
            var temp = Directory.CreateTempSubdirectory($"slatedb-compaction-{engine}-");
            try
            {
                Console.WriteLine();
                Console.WriteLine($"== {engine}: {o.EffectiveNum:N0} random puts in batches of {o.Batch}, block cache {BenchResult.Bytes(o.BlockCacheBytes)}, data in {temp.FullName}");
                IEngine target = engine == "rocksdb" ? new RocksEngine(temp.FullName, o) : await SlateEngine.OpenAsync(temp.FullName, o);
                await using (target.ConfigureAwait(false))
                {
                    figures.Add(await RunOneAsync(target, engine, o));
                }
            }
            finally
            {
                GC.Collect();
                temp.Delete(recursive: true);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"{"engine",-8} {"fill ops/s",12} {"steady ops/s",13} {"WA",6} {"max L0",7} {"peak RSS",10} {"readrandom/s",13} {"scan rows/s",12} {"catch-up",9}");
        foreach (var f in figures)
        {
            Console.WriteLine($"{f.Engine,-8} {f.FillRate,12:N0} {f.SteadyRate,13:N0} {f.WriteAmplification,6:F2} {f.MaxL0,7} {BenchResult.Bytes(f.PeakRss),10} {f.ReadRate,13:N0} {f.ScanRate,12:N0} {f.CatchUp.TotalSeconds,8:F1}s");
        }

        if (figures.Count == 2)
        {
            var (a, b) = (figures[0], figures[1]);
            Console.WriteLine(
                $"{a.Engine}/{b.Engine}: steady ingest {a.SteadyRate / b.SteadyRate:F2}x, WA {a.WriteAmplification / b.WriteAmplification:F2}x, " +
                $"readrandom {a.ReadRate / b.ReadRate:F2}x, scan {a.ScanRate / b.ScanRate:F2}x");
        }

        return figures;
    }

    private static async Task<CompactionFigures> RunOneAsync(IEngine engine, string name, BenchOptions o)
    {
        var num = o.EffectiveNum;
        var keys = new KeySource(o);
        var userBytes = num * (o.KeySize + o.ValueSize);
        long done = 0;
        long peakRss = 0;
        var maxL0 = 0;
        using var stop = new CancellationTokenSource();
        var start = Clock.GetTimestamp();
        var halfAt = 0L;

        var reporter = Task.Run(async () =>
        {
            var lastDone = 0L;
            var lastAt = start;
            using var timer = new PeriodicTimer(o.ReportEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(stop.Token))
                {
                    var now = Clock.GetTimestamp();
                    var d = Interlocked.Read(ref done);
                    var rss = Process.GetCurrentProcess().WorkingSet64;
                    peakRss = Math.Max(peakRss, rss);
                    var l0 = engine.L0Count;
                    maxL0 = Math.Max(maxL0, l0);
                    Console.WriteLine(
                        $"  {Clock.GetElapsedTime(start, now).TotalSeconds,6:F0}s  {d,12:N0} puts  {(d - lastDone) / Clock.GetElapsedTime(lastAt, now).TotalSeconds,10:N0}/s  " +
                        $"L0 {l0,3}  {engine.Shape,-22} written {BenchResult.Bytes(engine.BytesWritten),10}  RSS {BenchResult.Bytes(rss),9}  managed {BenchResult.Bytes(GC.GetTotalMemory(false)),9}");
                    lastDone = d;
                    lastAt = now;
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var random = new DbRandom((ulong)(o.Seed * 7919));
        var key = new byte[keys.KeySize];
        var batch = engine.NewBatch();
        for (long first = 0; first < num; first += o.Batch)
        {
            if (halfAt == 0 && first >= num / 2)
            {
                halfAt = Clock.GetTimestamp();
            }

            var count = (int)Math.Min(o.Batch, num - first);
            for (var i = first; i < first + count; i++)
            {
                keys.Key((long)Math.BigMul(random.NextUInt64(), (ulong)num, out _), key);
                batch.Put(key, keys.Value(i).Span);
            }

            await batch.CommitAsync();
            Interlocked.Add(ref done, count);
        }

        var end = Clock.GetTimestamp();
        var fillRate = num / Clock.GetElapsedTime(start, end).TotalSeconds;
        var steadyRate = (num - num / 2) / Clock.GetElapsedTime(halfAt, end).TotalSeconds;
        Console.WriteLine($"  fill: {fillRate:N0} puts/s overall, {steadyRate:N0} puts/s over the second half");

        var catchUpStart = Clock.GetTimestamp();
        await engine.FlushAndCompactAsync();
        var catchUp = Clock.GetElapsedTime(catchUpStart);
        await stop.CancelAsync();
        await reporter;
        var written = engine.BytesWritten;
        var wa = (double)written / userBytes;
        Console.WriteLine($"  after the fill: compaction caught up in {catchUp.TotalSeconds:F1} s; {engine.Shape}; written {BenchResult.Bytes(written)} for {BenchResult.Bytes(userBytes)} of user data: WA {wa:F2}");

        var reads = o.Reads;
        long misses = 0;
        long issued = 0;
        var readStart = Clock.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, o.Readers).Select(r => Task.Run(async () =>
        {
            var rnd = new Random(o.Seed * 31 + r);
            var k = new byte[keys.KeySize];
            while (Interlocked.Increment(ref issued) <= reads)
            {
                keys.Key(rnd.NextInt64(num), k);
                if (!await engine.GetAsync(k))
                {
                    Interlocked.Increment(ref misses);
                }
            }
        })));
        var readRate = reads / Clock.GetElapsedTime(readStart).TotalSeconds;
        Console.WriteLine($"  readrandom: {readRate:N0} gets/s ({o.Readers} reader{(o.Readers > 1 ? "s" : "")}, {misses:N0} of {reads:N0} keys never written)");

        var scanStart = Clock.GetTimestamp();
        var rows = await engine.ScanAllAsync();
        var scanRate = rows / Clock.GetElapsedTime(scanStart).TotalSeconds;
        Console.WriteLine($"  scan: {rows:N0} rows at {scanRate:N0} rows/s");
        peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);

        return new CompactionFigures(name, fillRate, steadyRate, wa, maxL0, peakRss, readRate, scanRate, catchUp);
    }

    /// <summary>One engine under test.</summary>
    private interface IEngine : IAsyncDisposable
    {
        int L0Count { get; }

        string Shape { get; }

        long BytesWritten { get; }

        IBatch NewBatch();

        Task FlushAndCompactAsync();

        ValueTask<bool> GetAsync(byte[] key);

        Task<long> ScanAllAsync();
    }

    private interface IBatch
    {
        void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

        ValueTask CommitAsync();
    }

    private sealed class SlateEngine : IEngine
    {
        private readonly Db _db;
        private readonly InstrumentedObjectStore _store;

        private SlateEngine(Db db, InstrumentedObjectStore store)
        {
            _db = db;
            _store = store;
        }

        public int L0Count => _db.Engine.State.Current.L0.Length;

        public string Shape
        {
            get
            {
                var runs = _db.Engine.State.Current.SortedRuns;
                return $"runs {runs.Length} ({string.Join("/", runs.Select(r => r.Tables.Length))} SSTs)";
            }
        }

        public long BytesWritten => _store.Snapshot().BytesWritten;

        public static async Task<SlateEngine> OpenAsync(string dir, BenchOptions o)
        {
            var store = new InstrumentedObjectStore(new LocalFileSystemObjectStore(dir));
            var settings = new Settings { FlushInterval = o.FlushInterval, BlockCacheBytes = o.BlockCacheBytes };
            var db = await Db.Builder("bench", store).WithSettings(settings).WithSeed(o.Seed).BuildAsync();
            return new SlateEngine(db, store);
        }

        public IBatch NewBatch() => new Batch(_db);

        public async Task FlushAndCompactAsync()
        {
            await _db.FlushAsync(FlushType.MemTable);
            await _db.Engine.Compactor!.WaitIdleAsync(CancellationToken.None);
        }

        public async ValueTask<bool> GetAsync(byte[] key) => await _db.GetAsync(key) is not null;

        public async Task<long> ScanAllAsync()
        {
            long rows = 0;
            await foreach (var _ in _db.ScanAsync(KeyRange.All))
            {
                rows++;
            }

            return rows;
        }

        public ValueTask DisposeAsync() => _db.DisposeAsync();

        private sealed class Batch(Db db) : IBatch
        {
            private WriteBatch _batch = new();

            public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _batch.Put(key, value);

            public async ValueTask CommitAsync()
            {
                await db.WriteAsync(_batch, NoWait);
                _batch.Dispose();
                _batch = new WriteBatch();
            }
        }
    }

    private sealed class RocksEngine : IEngine
    {
        private readonly RocksDbSharp.RocksDb _db;
        private readonly RocksDbSharp.DbOptions _options;
        private readonly RocksDbSharp.WriteOptions _write = new RocksDbSharp.WriteOptions().SetSync(false);

        public RocksEngine(string dir, BenchOptions o)
        {
            var table = new RocksDbSharp.BlockBasedTableOptions()
                .SetBlockCache(RocksDbSharp.Cache.CreateLru((ulong)o.BlockCacheBytes))
                .SetFilterPolicy(RocksDbSharp.BloomFilterPolicy.Create(10, false));
            _options = new RocksDbSharp.DbOptions()
                .SetCreateIfMissing(true)
                .SetCompression(RocksDbSharp.Compression.No)
                .SetBlockBasedTableFactory(table)
                .IncreaseParallelism(Environment.ProcessorCount);
            _options.EnableStatistics();
            _db = RocksDbSharp.RocksDb.Open(_options, dir);
        }

        public int L0Count => int.Parse(_db.GetProperty("rocksdb.num-files-at-level0") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

        public string Shape
        {
            get
            {
                var levels = Enumerable.Range(1, 6).Select(l => _db.GetProperty($"rocksdb.num-files-at-level{l}") ?? "0");
                return $"L1-6 files {string.Join("/", levels)}";
            }
        }

        // WAL + flush + compaction bytes, from the statistics (the same three kinds of writes SlateDb's store sees).
        public long BytesWritten
        {
            get
            {
                var stats = _options.GetStatisticsString() ?? "";
                return Stat(stats, "rocksdb.wal.bytes") + Stat(stats, "rocksdb.flush.write.bytes") + Stat(stats, "rocksdb.compact.write.bytes");
            }
        }

        public IBatch NewBatch() => new Batch(_db, _write);

        public async Task FlushAndCompactAsync()
        {
            _db.Flush(new RocksDbSharp.FlushOptions().SetWaitForFlush(true));
            while (_db.GetProperty("rocksdb.compaction-pending") != "0" || _db.GetProperty("rocksdb.num-running-compactions") != "0")
            {
                await Task.Delay(100);
            }
        }

        public ValueTask<bool> GetAsync(byte[] key) => new(_db.Get(key) is not null);

        public Task<long> ScanAllAsync()
        {
            long rows = 0;
            using var it = _db.NewIterator();
            for (it.SeekToFirst(); it.Valid(); it.Next())
            {
                rows++;
            }

            return Task.FromResult(rows);
        }

        public ValueTask DisposeAsync()
        {
            _db.Dispose();
            return default;
        }

        private static long Stat(string stats, string name)
        {
            foreach (var line in stats.Split('\n'))
            {
                if (line.StartsWith(name + " COUNT : ", StringComparison.Ordinal))
                {
                    return long.Parse(line[(name.Length + 9)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return 0;
        }

        private sealed class Batch(RocksDbSharp.RocksDb db, RocksDbSharp.WriteOptions write) : IBatch
        {
            private readonly RocksDbSharp.WriteBatch _batch = new();

            public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _batch.Put(key, value);

            public ValueTask CommitAsync()
            {
                db.Write(_batch, write);
                _batch.Clear();
                return default;
            }
        }
    }
}

/// <summary>What the compaction workload measured for one engine.</summary>
internal sealed record CompactionFigures(
    string Engine, double FillRate, double SteadyRate, double WriteAmplification, int MaxL0, long PeakRss, double ReadRate, double ScanRate, TimeSpan CatchUp);
