using Microsoft.Extensions.Time.Testing;
using SlateDb.Admin;
using SlateDb.ObjectStore;

namespace SlateDb.Testing.Simulation.Dst;

/// <summary>
/// One deterministic simulation run: a seed picks every step (which actor acts, with which inputs), the settings,
/// the clock's moves and the store toxics; each step's outcome is checked against a model, and the invariants are
/// checked after every step and after every crash and reopen.
/// </summary>
/// <remarks>
/// <para>
/// Actors: writers (puts, deletes, batches; durable or not), a bank (transfers as two-account batches whose balances
/// always sum to the initial total in every view), readers and scans of the writer, a snapshot, a long-lived
/// <see cref="DbReader"/>, memtable and WAL flushes, the compactor (in the writer or a standalone
/// <see cref="Compactor"/>), garbage collection with a small minimum age (in the writer or through
/// <see cref="DbAdmin"/>), checkpoints (opened again later as readers), clones of checkpoints, clean reopens,
/// simulated crashes and a fencer that opens a second writer.
/// </para>
/// <para>
/// The engine runs its background work on the thread pool, so store calls interleave differently from run to run.
/// The run is made deterministic above that level: foreground steps run one at a time; time is a
/// <see cref="FakeTimeProvider"/> moved only by steps; every toxic is transient and at most twice per path, so the
/// engine's retries (real-time, sub-millisecond backoff) always absorb it; and a crash is decided by a step, never by
/// a background call. After a crash (or a fence) and a reopen, the recovered contents are judged by the
/// <see cref="DurabilityOracle"/>, then the run re-applies what the crash lost (writes never acknowledged durable)
/// so it continues from the model's state whatever the background timing did. The trace records each step's inputs
/// and its model-checked outcome, never timings, sequence numbers or what a crash happened to lose.
/// </para>
/// </remarks>
public sealed partial class DstRun
{
    private const string DbPath = "dst-db";
    private const int WorkloadKeys = 40;
    private const int Accounts = 8;
    private const long InitialBalance = 1000;
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };
    // At most three failing toxics select one call (FailBefore and two FailAfter for a manifest or WAL put; FailBefore
    // and a torn listing for a listing), each striking a path at most twice: eight attempts always get through.
    private static readonly RetryOptions FastRetries = new() { MaxAttempts = 8, InitialDelay = TimeSpan.FromTicks(2000), MaxDelay = TimeSpan.FromMilliseconds(1) };

    private readonly int _seed;
    private readonly DstOptions _options;
    private readonly Random _random;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly IObjectStore _inner;
    private readonly TempDirectory? _directory;
    private readonly DstTrace _trace;
    private readonly Settings _settings;
    private readonly bool _standaloneCompactor;
    private readonly List<FaultInjectingObjectStore> _sessions = [];
    private readonly KeyValueModel _model = new();
    private readonly Dictionary<string, int> _versions = new(StringComparer.Ordinal);
    private readonly List<SavedState> _checkpoints = [];
    private readonly List<SavedState> _clones = [];
    private DurabilityOracle _oracle = new();
    private FaultInjectingObjectStore _session = null!;
    private Db? _db;
    private ReaderView? _reader;
    private Compactor? _compactor;
    private int _step = -1;
    private long _seedCounter;
    private string _doing = "";
    private long _crashes;
    private long _fences;
    private long _writesVerified;
    private long _pendingVerification;
    private long _toxicStrikes;
    private (int Calls, bool AfterApplying)? _crashAfter;

    public DstRun(int seed, DstOptions? options = null)
    {
        _seed = seed;
        _options = options ?? new DstOptions();
        _random = new Random(seed);
        _trace = new DstTrace(_options.KeepTrace);
        _directory = _options.LocalFiles ? new TempDirectory("dst") : null;
        IObjectStore store = _directory is null ? new InMemoryObjectStore() : new LocalFileSystemObjectStore(_directory.FullPath);
        _inner = _options.WrapStore is { } wrap ? wrap(store) : store;
        _standaloneCompactor = _random.Next(2) == 0;
        var gcInWriter = _random.Next(2) == 0;
        _settings = new Settings
        {
            FlushInterval = TimeSpan.FromMilliseconds(100),
            L0SstSizeBytes = 1024 * _random.Next(2, 9),
            BlockSize = _random.Next(2) == 0 ? 256 : 1024,
            MinFilterKeys = 4,
            Compression = _random.Next(2) == 0 ? CompressionCodec.None : CompressionCodec.Zstd,
            L0MaxSsts = 64,
            ManifestPollInterval = TimeSpan.FromSeconds(1),
            Compactor = _standaloneCompactor ? null : CompactorSettings(),
            Gc = gcInWriter ? new GcSettings { Interval = TimeSpan.FromSeconds(2), MinAge = TimeSpan.FromSeconds(1) } : null,
        };
        _trace.Add($"seed {seed}: {_options.Steps} steps, l0 {_settings.L0SstSizeBytes} B, block {_settings.BlockSize} B, {_settings.Compression}, " +
                   $"{(_options.LocalFiles ? "local files" : "in memory")}{(_options.SeparateWalStore ? ", separate WAL store" : "")}, compactor {(_standaloneCompactor ? "standalone" : "in writer")}, gc {(gcInWriter ? "in writer" : "admin only")}, toxics {(_options.Toxics ? "on" : "off")}");
    }

    /// <summary>Runs the seed; throws <see cref="DstFailedException"/> (naming the seed and how to replay it) on any broken invariant.</summary>
    public async Task<DstResult> RunAsync()
    {
        try
        {
            return await RunStepsAsync();
        }
        finally
        {
            _directory?.Dispose();
        }
    }

    private async Task<DstResult> RunStepsAsync()
    {
        try
        {
            _doing = "open";
            await OpenWriterAsync();
            await SetUpBankAsync();
            for (_step = 0; _step < _options.Steps; _step++)
            {
                var line = await StepAsync();
                _trace.Add($"#{_step} {line}");
                await CheckWriterAsync();
            }

            _doing = "final close and reopen";
            _step = _options.Steps;
            _trace.Add($"end: {await ReopenAsync()}");
            await CloseAllAsync();
            Verified();
            return new DstResult(_seed, _trace.Hash, _options.Steps, _crashes, _writesVerified, _fences, _toxicStrikes + _sessions.Sum(s => s.ToxicStrikes), _trace.Lines);
        }
        catch (Exception ex)
        {
            await AbandonAllAsync();
            var lost = ex is DurabilityViolationException || ex.InnerException is DurabilityViolationException;
            throw new DstFailedException(
                _seed,
                lost,
                $"Simulation seed {_seed} failed at step {_step} of {_options.Steps} ({_doing}): {ex.GetType().Name}: {ex.Message}\n" +
                $"Replay: dotnet run -c Release --project tests/SlateDb.Simulation.Runner -- --seed {_seed} --steps {_options.Steps}" +
                (_options.Toxics ? "" : " --no-toxics") + (_options.LocalFiles ? " --local-files" : "") + (_options.SeparateWalStore ? " --separate-wal" : "") + "\n" +
                $"Trace (last lines):\n  {string.Join("\n  ", _trace.Recent)}",
                ex);
        }
    }

    private Db Writer => _db ?? throw new InvalidOperationException("No open writer.");

    private static CompactorSettings CompactorSettings() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(500),
        L0CompactionThreshold = 2,
        MinSortedRunsToMerge = 2,
        TargetSstSizeBytes = 8 * 1024,
    };

    private async Task<string> StepAsync()
    {
        var roll = _random.Next(1000);
        (string Kind, Func<Task<string>> Run) step = roll switch
        {
            < 180 => ("put", () => WriteAsync(NextPut())),
            < 230 => ("delete", () => WriteAsync(WriteOp.Delete(WorkloadKey(_random.Next(WorkloadKeys))))),
            < 300 => ("batch", () => WriteAsync(NextBatch())),
            < 400 => ("transfer", TransferAsync),
            < 480 => ("get", GetAsync),
            < 540 => ("scan", ScanAsync),
            < 565 => ("snapshot", SnapshotAsync),
            < 615 => ("reader", ReaderAsync),
            < 655 => ("flush wal", () => FlushAsync(FlushType.Wal)),
            < 685 => ("flush memtable", () => FlushAsync(FlushType.MemTable)),
            < 755 => ("tick", TickAsync),
            < 790 => ("compact", CompactAsync),
            < 815 => ("gc", GcAsync),
            < 845 => ("checkpoint", CheckpointAsync),
            < 860 => ("audit checkpoint", AuditSomeCheckpointAsync),
            < 875 => ("clone", CloneAsync),
            < 895 => ("long scan", LongScanAsync),
            < 915 => ("reopen", ReopenAsync),
            < 940 => ("crash", CrashAsync),
            < 960 => ("crash during write", CrashDuringWriteAsync),
            < 980 => ("crash during background work", CrashDuringBackgroundWorkAsync),
            _ => ("fence", FenceAsync),
        };
        _doing = step.Kind;
        return $"{step.Kind}: {await step.Run()}";
    }

    // ---------- writers ----------

    private static byte[] WorkloadKey(int i) => Bytes.Utf8($"k{i:D2}");

    private static byte[] AccountKey(int i) => Bytes.Utf8($"bank/{i:D2}");

    private byte[] NextValue(byte[] key)
    {
        var name = System.Text.Encoding.UTF8.GetString(key);
        var version = _versions.GetValueOrDefault(name) + 1;
        _versions[name] = version;
        return Bytes.Utf8($"{name}@v{version}:" + new string('x', _random.Next(0, 80)));
    }

    private void CountDelete(byte[] key)
    {
        var name = System.Text.Encoding.UTF8.GetString(key);
        _versions[name] = _versions.GetValueOrDefault(name) + 1;
    }

    private WriteOp NextPut()
    {
        var key = WorkloadKey(_random.Next(WorkloadKeys));
        return WriteOp.Put(key, NextValue(key));
    }

    private WriteOp NextBatch()
    {
        var count = _random.Next(1, 9);
        var mutations = new Mutation[count];
        for (var i = 0; i < count; i++)
        {
            var key = WorkloadKey(_random.Next(WorkloadKeys));
            mutations[i] = _random.Next(4) == 0 ? new Mutation(key, null) : new Mutation(key, NextValue(key));
        }

        return WriteOp.Batch(mutations);
    }

    private async Task<string> WriteAsync(WriteOp op)
    {
        foreach (var m in op.Mutations.Where(m => m.IsDelete))
        {
            CountDelete(m.Key);
        }

        var durable = _random.Next(3) == 0;
        var handle = await Guard.Within(op.ApplyAsync(Writer, durable ? WriteOptions.Default : NoWait), $"the write {op}");
        Apply(op);
        var index = _oracle.Acknowledged(op, handle);
        if (durable)
        {
            _oracle.DurableThrough(index);
        }

        return $"{op}{(durable ? " durable" : "")}";
    }

    private void Apply(WriteOp op)
    {
        _model.Apply(op, 0);
        _pendingVerification++;
    }

    // ---------- the writer's reads ----------

    private async Task<string> GetAsync()
    {
        var key = _random.Next(5) == 0 ? AccountKey(_random.Next(Accounts)) : WorkloadKey(_random.Next(WorkloadKeys));
        var got = await Guard.Within(Writer.GetAsync(key), "GetAsync");
        var expected = _model.Get(key);
        if (!Bytes.Ordinal.Equals(got, expected))
        {
            throw new ModelMismatchException($"GetAsync({Bytes.Show(key)}) returned {Bytes.Show(got)}; the model has {Bytes.Show(expected)}.");
        }

        return $"{Bytes.Show(key)} = {Bytes.Show(got)}";
    }

    private async Task<string> ScanAsync()
    {
        var range = NextRange();
        var seekTo = _random.Next(3) == 0 ? WorkloadKey(_random.Next(WorkloadKeys)) : null;
        var rows = new List<KeyValue>();
        await using (var iterator = Writer.ScanAsync(range))
        {
            if (seekTo is not null && range.Contains(seekTo))
            {
                await Guard.Within(iterator.SeekAsync(seekTo), $"SeekAsync({Bytes.Show(seekTo)})");
            }
            else
            {
                seekTo = null;
            }

            while (await Guard.Within(iterator.NextAsync(), "DbIterator.NextAsync") is { } kv)
            {
                rows.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
            }
        }

        var expected = _model.Range(range, seekTo).ToList();
        CheckRows($"the scan of {range}{(seekTo is null ? "" : $" from {Bytes.Show(seekTo)}")}", rows, expected);
        return $"{range}{(seekTo is null ? "" : $" seek {Bytes.Show(seekTo)}")} -> {rows.Count} rows";
    }

    private KeyRange NextRange()
    {
        switch (_random.Next(4))
        {
            case 0:
                return KeyRange.All;
            case 1:
                return KeyRange.Prefix(_random.Next(2) == 0 ? "bank/" : $"k{_random.Next(4)}");
            case 2:
                var a = _random.Next(WorkloadKeys);
                var b = _random.Next(WorkloadKeys);
                return KeyRange.Between(WorkloadKey(Math.Min(a, b)), WorkloadKey(Math.Max(a, b)));
            default:
                return KeyRange.From(WorkloadKey(_random.Next(WorkloadKeys)));
        }
    }

    /// <summary>Rows must be in strictly ascending order (no duplicates) and equal <paramref name="expected"/>.</summary>
    private static void CheckRows(string what, List<KeyValue> rows, List<KeyValuePair<byte[], KeyValueModel.Entry>> expected)
    {
        for (var i = 1; i < rows.Count; i++)
        {
            if (rows[i - 1].Key.Span.SequenceCompareTo(rows[i].Key.Span) >= 0)
            {
                throw new ModelMismatchException(
                    $"{what} is out of order or repeats a key: {Bytes.Show(rows[i].Key.Span)} came after {Bytes.Show(rows[i - 1].Key.Span)}.");
            }
        }

        for (var i = 0; i < Math.Max(rows.Count, expected.Count); i++)
        {
            if (i >= rows.Count)
            {
                throw new ModelMismatchException($"{what} stopped after {rows.Count} rows; the model also has {Bytes.Show(expected[i].Key)}.");
            }

            if (i >= expected.Count)
            {
                throw new ModelMismatchException($"{what} returned an extra row {Bytes.Show(rows[i].Key.Span)} at position {i}.");
            }

            if (!rows[i].Key.Span.SequenceEqual(expected[i].Key) || !rows[i].Value.Span.SequenceEqual(expected[i].Value.Value))
            {
                throw new ModelMismatchException(
                    $"{what} returned {Bytes.Show(rows[i].Key.Span)} = {Bytes.Show(rows[i].Value.Span)} at position {i}; " +
                    $"the model has {Bytes.Show(expected[i].Key)} = {Bytes.Show(expected[i].Value.Value)}.");
            }
        }
    }

    private async Task<string> SnapshotAsync()
    {
        await using var snapshot = Writer.Snapshot();
        var before = new KeyValueModel(_model);
        var writes = _random.Next(1, 4);
        for (var i = 0; i < writes; i++)
        {
            await WriteAsync(_random.Next(2) == 0 ? NextPut() : await NextTransferAsync());
        }

        var rows = await ReadAllAsync(snapshot.ScanAsync(KeyRange.All), "the snapshot's scan");
        CheckRows("the snapshot's scan", rows, before.Range(KeyRange.All).ToList());
        CheckBank(rows, "the snapshot");
        return $"{writes} writes after it, {rows.Count} rows as before them";
    }

    private static async Task<List<KeyValue>> ReadAllAsync(DbIterator iterator, string what)
    {
        var rows = new List<KeyValue>();
        await using (iterator)
        {
            while (await Guard.Within(iterator.NextAsync(), what) is { } kv)
            {
                rows.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
            }
        }

        return rows;
    }

    /// <summary>The invariants checked after every step: the writer's full scan equals the model, in order, and the bank adds up.</summary>
    private async Task CheckWriterAsync()
    {
        _doing = $"checking the writer after step {_step}";
        var rows = await ReadAllAsync(Writer.ScanAsync(KeyRange.All), "the writer's full scan");
        CheckRows("the writer's full scan", rows, _model.Range(KeyRange.All).ToList());
        CheckBank(rows, "the writer");
        Verified();
    }

    private void Verified()
    {
        _writesVerified += _pendingVerification;
        _pendingVerification = 0;
    }

    // ---------- flushes, time, compaction, gc ----------

    private async Task<string> FlushAsync(FlushType type)
    {
        await Guard.Within(Writer.FlushAsync(type), $"FlushAsync({type})");
        _oracle.AllDurable();
        return "ok";
    }

    private Task<string> TickAsync()
    {
        var by = TimeSpan.FromMilliseconds(_random.Next(1, 5) * 250);
        _time.Advance(by);
        return Task.FromResult($"+{by.TotalMilliseconds:0} ms");
    }

    private async Task<string> CompactAsync()
    {
        if (!_standaloneCompactor)
        {
            // The writer's compactor polls on the clock.
            _time.Advance(TimeSpan.FromMilliseconds(500));
            return "writer's compactor polled";
        }

        if (_compactor is null)
        {
            var settings = _settings.Clone();
            settings.Compactor = CompactorSettings();
            _compactor = await Guard.Within(Compactor.OpenAsync(DbPath, NewSession().Main, settings, _time), "opening the standalone compactor");
        }

        await Guard.Within(_compactor.CompactAsync(), "Compactor.CompactAsync");
        return "standalone compactor ran";
    }

    private async Task<string> GcAsync()
    {
        _time.Advance(TimeSpan.FromSeconds(2));
        var admin = NewAdmin();
        await Guard.Within(admin.RunGarbageCollectionAsync(new GcOptions { MinAge = TimeSpan.FromSeconds(1) }), "RunGarbageCollectionAsync");
        return "ok";
    }

    // ---------- sessions and opening ----------

    private long NextSeed() => (_seed * 10_000L) + ++_seedCounter;

    /// <summary>
    /// The stores of one in-memory object (a writer, reader, compactor, admin): its own fault wrapper (so a crash can
    /// fail every later call of that object only) under real-time, sub-millisecond retries; with a separate WAL store,
    /// the main and WAL stores are two prefixes of the same wrapper.
    /// </summary>
    private sealed record Session(FaultInjectingObjectStore Faults, IObjectStore Main, IObjectStore? Wal)
    {
        public DbBuilder Builder(string path) => Wal is null ? Db.Builder(path, Main) : Db.Builder(path, Main).WithWalObjectStore(Wal);
    }

    private DbAdmin NewAdmin()
    {
        var session = NewSession();
        return new DbAdmin(DbPath, session.Main, session.Wal, new DbAdminOptions { TimeProvider = _time, Seed = NextSeed() });
    }

    private Session NewSession()
    {
        var faults = new FaultInjectingObjectStore(_inner, unchecked((_seed * 31) + _sessions.Count), TimeProvider.System);
        var root = _options.SeparateWalStore ? "main/" : "";
        if (_options.Toxics)
        {
            faults.AddToxic(new ObjectStoreToxic(ToxicKind.Latency, 0.05) { MaxLatency = TimeSpan.FromMilliseconds(1) })
                .AddToxic(new ObjectStoreToxic(ToxicKind.FailBefore, 0.04))
                .AddToxic(new ObjectStoreToxic(ToxicKind.FailAfter, 0.03) { Operations = [ObjectStoreOperation.Put, ObjectStoreOperation.Delete, ObjectStoreOperation.Copy] })
                .AddToxic(new ObjectStoreToxic(ToxicKind.FailAfter, 0.02) { Operations = [ObjectStoreOperation.Get, ObjectStoreOperation.Head] })
                .AddToxic(new ObjectStoreToxic(ToxicKind.FailAfter, 0.15) { Operations = [ObjectStoreOperation.Put], PathPrefix = root + DbPath + "/manifest/" })
                .AddToxic(new ObjectStoreToxic(ToxicKind.FailAfter, 0.10) { Operations = [ObjectStoreOperation.Put], PathPrefix = (_options.SeparateWalStore ? "wal/" : "") + DbPath + "/wal/" })
                .AddToxic(new ObjectStoreToxic(ToxicKind.TornListing, 0.15));
        }

        if (_crashAfter is { } crash)
        {
            faults.CrashAtCall(crash.Calls, crash.AfterApplying);
        }

        _sessions.Add(faults);
        var retrySeed = (int)(NextSeed() & int.MaxValue);
        if (!_options.SeparateWalStore)
        {
            return new Session(faults, new RetryingObjectStore(faults, FastRetries, TimeProvider.System, retrySeed), null);
        }

        return new Session(
            faults,
            new RetryingObjectStore(new PrefixedObjectStore(faults, "main"), FastRetries, TimeProvider.System, retrySeed),
            new RetryingObjectStore(new PrefixedObjectStore(faults, "wal"), FastRetries, TimeProvider.System, retrySeed + 1));
    }

    private async Task OpenWriterAsync()
    {
        var session = NewSession();
        _session = session.Faults;
        _db = await Guard.Within(
            session.Builder(DbPath).WithSettings(_settings).WithTimeProvider(_time).WithSeed(NextSeed()).BuildAsync(),
            "opening the writer");
    }

    private async Task CloseAllAsync()
    {
        if (_reader is not null)
        {
            await Guard.Within(_reader.Reader.DisposeAsync(), "disposing the reader");
            _reader = null;
        }

        if (_compactor is not null)
        {
            await Guard.Within(_compactor.DisposeAsync(), "disposing the compactor");
            _compactor = null;
        }

        if (_db is not null)
        {
            await Guard.Within(_db.CloseAsync(), "closing the writer");
            _db = null;
        }
    }

    // A failed run: crash every session so nothing keeps writing, and drop every object without waiting on it.
    private async Task AbandonAllAsync()
    {
        foreach (var session in _sessions)
        {
            session.Crash();
        }

        await ModelRunner.DisposeQuietlyAsync(_db);
        _db = null;
    }
}
