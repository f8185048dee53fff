using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;
using Xunit;

namespace SlateDb.Testing.Merging;

/// <summary>
/// A seeded workload of puts, deletes, merges and batches with and without a time to live, interleaved with clock
/// moves, memtable flushes, compactions, snapshots, transactions, reopens (WAL replay) and a following
/// <see cref="DbReader"/>; every read is checked against <see cref="VersionModel"/>. Public API only.
/// </summary>
public sealed class MergeTtlWorkload
{
    private const string Path = "merge-ttl";
    private const int Keys = 12;

    private readonly Random _random;
    private readonly IObjectStore _store;
    private readonly FakeTimeProvider _clock;
    private readonly Settings _settings;
    private readonly Func<Db, Task> _compact;
    private readonly Func<Random, byte[]> _newValue;
    private readonly VersionModel _model;
    private readonly List<DbSnapshot> _snapshots = [];
    private Db? _db;
    private DbReader? _reader;

    /// <param name="seed">Seeds every choice.</param>
    /// <param name="store">The store (empty).</param>
    /// <param name="clock">The database's clock; the workload moves it.</param>
    /// <param name="settings">The database's settings; its <see cref="Settings.MergeOperator"/> is the model's.</param>
    /// <param name="compact">Runs compactions until there is nothing left to do.</param>
    /// <param name="newValue">Makes a value or operand the operator understands.</param>
    public MergeTtlWorkload(int seed, IObjectStore store, FakeTimeProvider clock, Settings settings, Func<Db, Task> compact, Func<Random, byte[]> newValue)
    {
        _random = new Random(seed);
        _store = store;
        _clock = clock;
        _settings = settings;
        _compact = compact;
        _newValue = newValue;
        _model = new VersionModel(settings.MergeOperator ?? throw new ArgumentException("The settings need a merge operator.", nameof(settings)));
    }

    /// <summary>What ran, for failure messages.</summary>
    public List<string> Trace { get; } = [];

    private long NowMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private Db Db => _db ?? throw new InvalidOperationException("The database is not open.");

    /// <summary>Runs <paramref name="steps"/> steps, checking reads as it goes, and everything once more at the end.</summary>
    public async Task RunAsync(int steps)
    {
        _db = await OpenAsync();
        try
        {
            for (var step = 0; step < steps; step++)
            {
                await StepAsync();
            }

            await VerifyDbAsync();
            await FlushCompactAndVerifyAsync();
        }
        finally
        {
            await CloseAllAsync();
        }
    }

    private async Task StepAsync()
    {
        var r = _random.Next(100);
        switch (r)
        {
            case < 30:
                await MergeAsync();
                break;
            case < 44:
                await PutAsync();
                break;
            case < 50:
                await DeleteAsync();
                break;
            case < 58:
                await BatchAsync();
                break;
            case < 68:
                var ms = _random.Next(0, 900);
                _clock.Advance(TimeSpan.FromMilliseconds(ms));
                Trace.Add($"advance {ms} ms");
                break;
            case < 74:
                Trace.Add("flush memtable");
                await Db.FlushAsync(FlushType.MemTable);
                break;
            case < 78:
                Trace.Add("compact");
                await _compact(Db);
                break;
            case < 82:
                await OpenSnapshotAsync();
                break;
            case < 86:
                await VerifySnapshotsAsync();
                break;
            case < 88:
                await ReopenAsync();
                break;
            case < 91:
                await VerifyReaderAsync();
                break;
            case < 94:
                await VerifyTransactionAsync();
                break;
            default:
                await VerifyDbAsync();
                break;
        }
    }

    private byte[] AnyKey() => Bytes.Utf8($"k{_random.Next(Keys):D2}");

    private (WriteOptions Options, long ExpireMs, string Shown) AnyTtl()
    {
        switch (_random.Next(5))
        {
            case 0:
                var ttl = TimeSpan.FromMilliseconds(_random.Next(100, 2500));
                return (new WriteOptions { AwaitDurable = false, Ttl = ttl }, NowMs + (long)ttl.TotalMilliseconds, $" ttl {ttl.TotalMilliseconds} ms");
            case 1:
                var at = _clock.GetUtcNow().AddMilliseconds(_random.Next(-200, 2500));
                return (new WriteOptions { AwaitDurable = false, ExpiresAt = at }, at.ToUnixTimeMilliseconds(), $" expires at +{at.ToUnixTimeMilliseconds() - NowMs} ms");
            default:
                return (new WriteOptions { AwaitDurable = false }, long.MaxValue, string.Empty);
        }
    }

    private async Task MergeAsync()
    {
        var key = AnyKey();
        var operand = _newValue(_random);
        var (options, expire, shown) = AnyTtl();
        var handle = await Db.MergeAsync(key, operand, options);
        _model.Add(key, handle.Seq, VersionKind.Merge, operand, expire);
        Trace.Add($"merge {Bytes.Show(key)} {Bytes.Show(operand)}{shown} @{handle.Seq}");
    }

    private async Task PutAsync()
    {
        var key = AnyKey();
        var value = _newValue(_random);
        var (options, expire, shown) = AnyTtl();
        var handle = await Db.PutAsync(key, value, options);
        _model.Add(key, handle.Seq, VersionKind.Put, value, expire);
        Trace.Add($"put {Bytes.Show(key)} {Bytes.Show(value)}{shown} @{handle.Seq}");
    }

    private async Task DeleteAsync()
    {
        var key = AnyKey();
        var handle = await Db.DeleteAsync(key, new WriteOptions { AwaitDurable = false });
        _model.Add(key, handle.Seq, VersionKind.Delete, []);
        Trace.Add($"delete {Bytes.Show(key)} @{handle.Seq}");
    }

    // Several operations on one or two keys, merges on top of puts, deletes and other merges of the same batch.
    private async Task BatchAsync()
    {
        using var batch = new WriteBatch();
        var ops = new List<(byte[] Key, VersionKind Kind, byte[] Value)>();
        var keys = new[] { AnyKey(), AnyKey() };
        for (var i = _random.Next(2, 6); i > 0; i--)
        {
            var key = keys[_random.Next(2)];
            var value = _newValue(_random);
            switch (_random.Next(6))
            {
                case 0:
                    batch.Put(key, value);
                    ops.Add((key, VersionKind.Put, value));
                    break;
                case 1:
                    batch.Delete(key);
                    ops.Add((key, VersionKind.Delete, []));
                    break;
                default:
                    batch.Merge(key, value);
                    ops.Add((key, VersionKind.Merge, value));
                    break;
            }
        }

        var (options, expire, shown) = AnyTtl();
        var handle = await Db.WriteAsync(batch, options);
        foreach (var (key, kind, value) in ops)
        {
            _model.Add(key, handle.Seq, kind, value, expire);
        }

        Trace.Add($"batch [{string.Join(", ", ops.Select(o => $"{o.Kind} {Bytes.Show(o.Key)} {Bytes.Show(o.Value)}"))}]{shown} @{handle.Seq}");
    }

    private async Task OpenSnapshotAsync()
    {
        if (_snapshots.Count >= 3)
        {
            await _snapshots[0].DisposeAsync();
            _snapshots.RemoveAt(0);
        }

        var snapshot = Db.Snapshot();
        _snapshots.Add(snapshot);
        Trace.Add($"snapshot @{snapshot.Seq}");
    }

    private async Task VerifySnapshotsAsync()
    {
        foreach (var snapshot in _snapshots)
        {
            await VerifyAsync($"snapshot @{snapshot.Seq}", snapshot.Seq, snapshot.GetAsync, snapshot.GetManyAsync, range => snapshot.ScanAsync(range));
        }
    }

    private async Task VerifyDbAsync()
    {
        var seq = (await Db.PutAsync(Bytes.Utf8("~marker"), Bytes.Utf8("m"), new WriteOptions { AwaitDurable = false })).Seq;
        _model.Add(Bytes.Utf8("~marker"), seq, VersionKind.Put, Bytes.Utf8("m"));
        await VerifyAsync("db", seq, Db.GetAsync, Db.GetManyAsync, range => Db.ScanAsync(range));
    }

    private async Task VerifyTransactionAsync()
    {
        await using var tx = Db.BeginTransaction();
        await VerifyAsync($"transaction @{tx.StartSeq}", tx.StartSeq, tx.GetAsync, tx.GetManyAsync, range => tx.ScanAsync(range));
        tx.Rollback();
    }

    private async Task VerifyReaderAsync()
    {
        await Db.FlushAsync();
        var seq = (await Db.PutAsync(Bytes.Utf8("~marker"), Bytes.Utf8("r"))).Seq;   // durable
        _model.Add(Bytes.Utf8("~marker"), seq, VersionKind.Put, Bytes.Utf8("r"));
        if (_reader is null)
        {
            _reader = await DbReader.OpenAsync(Path, _store, new DbReaderOptions
            {
                TimeProvider = _clock,
                Seed = 3,
                ManifestPollInterval = TimeSpan.FromHours(1),
                CheckpointLifetime = TimeSpan.FromHours(3),
                Settings = _settings,
            });
        }
        else
        {
            await _reader.RefreshAsync();
        }

        var reader = _reader;
        await VerifyAsync("reader", seq, reader.GetAsync, reader.GetManyAsync, range => reader.ScanAsync(range));
    }

    private async Task ReopenAsync()
    {
        // The WAL is made durable; the new writer replays it and fences the old one.
        Trace.Add("reopen");
        await Db.FlushAsync();
        var old = Db;
        _db = null;
        await CloseAllAsync();
        _db = await OpenAsync();
        try
        {
            await old.DisposeAsync();
        }
        catch (FencedException)
        {
            // Closing flushes the memtable, which the newer writer's fence refuses: its rows are in the replayed WAL.
        }
    }

    private async Task FlushCompactAndVerifyAsync()
    {
        await Db.FlushAsync(FlushType.MemTable);
        await _compact(Db);
        await VerifyDbAsync();
        _clock.Advance(TimeSpan.FromSeconds(5));
        Trace.Add("advance 5 s, flush, compact");
        await Db.FlushAsync(FlushType.MemTable);
        await _compact(Db);
        await VerifyDbAsync();
        await ReopenAsync();
        await VerifyDbAsync();
    }

    private async Task VerifyAsync(
        string what,
        ulong seq,
        Func<ReadOnlyMemory<byte>, ReadOptions?, CancellationToken, ValueTask<byte[]?>> get,
        Func<IReadOnlyList<ReadOnlyMemory<byte>>, ReadOptions?, CancellationToken, Task<byte[]?[]>> getMany,
        Func<KeyRange, DbIterator> scan)
    {
        var now = NowMs;
        var keys = Enumerable.Range(0, Keys).Select(i => Bytes.Utf8($"k{i:D2}")).ToList();
        foreach (var key in keys)
        {
            Check(what + " get", key, _model.Get(key, seq, now), await get(key, null, CancellationToken.None));
        }

        var many = await getMany(keys.Select(k => (ReadOnlyMemory<byte>)k).ToList(), null, CancellationToken.None);
        for (var i = 0; i < keys.Count; i++)
        {
            Check(what + " get many", keys[i], _model.Get(keys[i], seq, now), many[i]);
        }

        var expected = _model.Scan(seq, now).Where(e => e.Key[0] == (byte)'k').ToList();
        var actual = new List<(byte[] Key, byte[] Value)>();
        await using (var iterator = scan(KeyRange.Prefix(Bytes.Utf8("k"))))
        {
            await foreach (var kv in iterator)
            {
                actual.Add((kv.Key.ToArray(), kv.Value.ToArray()));
            }
        }

        var shownExpected = string.Join(", ", expected.Select(e => $"{Bytes.Show(e.Key)}={Bytes.Show(e.Value)}"));
        var shownActual = string.Join(", ", actual.Select(e => $"{Bytes.Show(e.Key)}={Bytes.Show(e.Value)}"));
        Assert.True(shownExpected == shownActual, $"{what} scan at seq {seq}:\nexpected {shownExpected}\nactual   {shownActual}\n{TraceText()}");
    }

    private void Check(string what, byte[] key, byte[]? expected, byte[]? actual)
        => Assert.True(
            Bytes.Ordinal.Equals(expected, actual),
            $"{what} {Bytes.Show(key)}: expected {Bytes.Show(expected)}, got {Bytes.Show(actual)}\n{TraceText()}");

    private string TraceText() => string.Join("\n", Trace.TakeLast(80));

    private Task<Db> OpenAsync()
        => Db.Builder(Path, _store).WithSettings(_settings).WithTimeProvider(_clock).WithSeed(_random.Next()).BuildAsync();

    private async Task CloseAllAsync()
    {
        foreach (var snapshot in _snapshots)
        {
            await snapshot.DisposeAsync();
        }

        _snapshots.Clear();
        if (_reader is not null)
        {
            await _reader.DisposeAsync();
            _reader = null;
        }

        if (_db is not null)
        {
            await _db.DisposeAsync();
            _db = null;
        }
    }
}
