using System.Text;
using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;

namespace SlateDb.Testing.Simulation;

/// <summary>
/// Runs a seeded random sequence of operations against a database and checks every read against a
/// <see cref="KeyValueModel"/>: puts, deletes, batches, gets, scans (ranges, prefixes, seeks, early stops),
/// WAL and memtable flushes, clock ticks, clean reopens, and unclean stops (the store wrapper "crashes", a new
/// writer opens on the same bytes) whose recovered contents the <see cref="DurabilityOracle"/> judges.
///
/// Time is a <see cref="FakeTimeProvider"/> moved only by the tick step, so with a long flush interval only
/// explicit flushes, full buffers and memtable flushes write WAL objects. Every failure names the seed, the
/// step and the steps before it; rerunning the seed repeats the run (up to the engine's own concurrency).
/// </summary>
public sealed class ModelRunner
{
    private const string DbPath = "model-db";
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    private readonly int _seed;
    private readonly IObjectStore _store;
    private readonly Settings _settings;
    private readonly Random _random;
    private readonly KeyValueGenerator _gen;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly DurabilityOracle _oracle = new();
    private readonly Queue<string> _recent = new();
    private FaultInjectingObjectStore? _faults;
    private Db? _db;
    private WriteHandle? _lastHandle;
    private ulong _lastSeq;
    private int _opens;
    private int _step = -1;
    private string _doing = "";

    public ModelRunner(int seed, IObjectStore store, Settings settings)
    {
        _seed = seed;
        _store = store;
        _settings = settings;
        _random = new Random(seed);
        _gen = new KeyValueGenerator(_random);
    }

    /// <summary>What the run did, by step kind (for the test's output).</summary>
    public Dictionary<string, int> Counts { get; } = [];

    private Db Current => _db ?? throw new InvalidOperationException("No open database.");

    public async Task RunAsync(int steps)
    {
        _doing = "open";
        try
        {
            await OpenAsync();
            for (_step = 0; _step < steps; _step++)
            {
                var what = await StepAsync();
                Remember($"#{_step} {what}");
            }

            _doing = "final close and reopen";
            await ReopenAsync();
            await Guard.Within(Current.CloseAsync(), "the final CloseAsync");
        }
        catch (Exception ex)
        {
            await DisposeQuietlyAsync(_db);
            throw new ModelRunFailedException(
                $"Model run with seed {_seed} failed at step {_step} of {steps} ({_doing}): {ex.GetType().Name}: {ex.Message}\n" +
                $"Recent steps (oldest first):\n  {string.Join("\n  ", _recent)}",
                ex);
        }
    }

    private async Task<string> StepAsync()
    {
        var roll = _random.Next(1000);
        var (kind, task) = roll switch
        {
            < 300 => ("put", WriteAsync(WriteOp.Put(_gen.PoolKey(), _gen.Value()))),
            < 380 => ("delete", WriteAsync(WriteOp.Delete(_gen.AnyKey()))),
            < 460 => ("batch", WriteAsync(NextBatch())),
            < 720 => ("get", GetAsync()),
            < 850 => ("scan", ScanAsync()),
            < 900 => ("flush wal", FlushAsync(FlushType.Wal)),
            < 925 => ("flush memtable", FlushAsync(FlushType.MemTable)),
            < 975 => ("tick", TickAsync()),
            < 988 => ("reopen", ReopenAsync()),
            _ => ("crash and reopen", CrashAndReopenAsync()),
        };
        _doing = kind;
        Counts[kind] = Counts.GetValueOrDefault(kind) + 1;
        return $"{kind}: {await task}";
    }

    private WriteOp NextBatch()
    {
        var count = _random.Next(1, 13);
        var mutations = new Mutation[count];
        for (var i = 0; i < count; i++)
        {
            // Sometimes repeat an earlier key of the batch: the later mutation must win.
            var key = i > 0 && _random.Next(5) == 0 ? mutations[_random.Next(i)].Key : _gen.AnyKey();
            mutations[i] = new Mutation(key, _random.Next(4) == 0 ? null : _gen.Value());
        }

        return WriteOp.Batch(mutations);
    }

    private async Task<string> WriteAsync(WriteOp op)
    {
        var handle = await Guard.Within(op.ApplyAsync(Current, NoWait), $"the write {op}");
        if (handle.Seq <= _lastSeq)
        {
            throw new ModelMismatchException($"The write got seq {handle.Seq}, not above the previous {_lastSeq}.");
        }

        _lastSeq = handle.Seq;
        _lastHandle = handle;
        _oracle.Acknowledged(op, handle);
        return $"{op} -> seq {handle.Seq}";
    }

    private async Task<string> GetAsync()
    {
        var key = _gen.AnyKey();
        var got = await Guard.Within(Current.GetAsync(key), "GetAsync");
        var expected = _oracle.Current.Get(key);
        if (!Bytes.Ordinal.Equals(got, expected))
        {
            throw new ModelMismatchException($"GetAsync({Bytes.Show(key)}) returned {Bytes.Show(got)}; the model has {Bytes.Show(expected)}.");
        }

        return $"{Bytes.Show(key)} = {Bytes.Show(got)}";
    }

    private async Task<string> ScanAsync()
    {
        var range = NextRange();
        var limit = _random.Next(3) == 0 ? _random.Next(1, 20) : int.MaxValue;
        var seekAfter = _random.Next(3) == 0 ? _random.Next(0, 10) : -1;
        var description = new StringBuilder().Append(range);
        if (limit == int.MaxValue && seekAfter < 0)
        {
            var rows = new List<KeyValue>();
            await Guard.Within(CollectAsync(Current.ScanAsync(range), rows), $"the scan of {range}");
            CompareScan(range, null, rows, 0, rows.Count);
            return description.Append(" -> ").Append(rows.Count).Append(" rows").ToString();
        }

        await using var iterator = Current.ScanAsync(range);
        var seen = new List<KeyValue>();
        byte[]? from = null;
        var checkedUpTo = 0;
        while (seen.Count < limit)
        {
            if (seen.Count == seekAfter && NextSeekTarget(range, seen) is { } target)
            {
                CompareScan(range, from, seen, checkedUpTo, seen.Count, complete: false);
                checkedUpTo = seen.Count;
                await Guard.Within(iterator.SeekAsync(target), $"SeekAsync({Bytes.Show(target)})");
                description.Append(", seek ").Append(Bytes.Show(target)).Append(" after ").Append(seen.Count);
                from = target;
            }

            var next = await Guard.Within(iterator.NextAsync(), "DbIterator.NextAsync");
            if (next is not { } kv)
            {
                break;
            }

            seen.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
        }

        CompareScan(range, from, seen, checkedUpTo, seen.Count, complete: seen.Count < limit);
        return description.Append(" -> ").Append(seen.Count).Append(" rows").Append(limit < int.MaxValue ? $" (limit {limit})" : "").ToString();
    }

    private static async Task CollectAsync(DbIterator iterator, List<KeyValue> rows)
    {
        await foreach (var kv in iterator)
        {
            rows.Add(new KeyValue(kv.Key.ToArray(), kv.Value.ToArray(), kv.Seq));
        }
    }

    private KeyRange NextRange()
    {
        switch (_random.Next(4))
        {
            case 0:
                return KeyRange.All;
            case 1:
                return KeyRange.Prefix(_gen.Prefix());
            case 2:
                var a = _gen.AnyKey();
                var b = _gen.AnyKey();
                return Bytes.Ordinal.Compare(a, b) <= 0 ? KeyRange.Between(a, b) : KeyRange.Between(b, a);
            default:
                return KeyRange.From(_gen.AnyKey());
        }
    }

    // A key inside the range and after every row seen so far, or null when there is none to pick.
    private byte[]? NextSeekTarget(KeyRange range, List<KeyValue> seen)
    {
        var target = _gen.AnyKey();
        if (seen.Count > 0)
        {
            var last = seen[^1].Key.ToArray();
            if (Bytes.Ordinal.Compare(target, last) <= 0)
            {
                target = [.. last, 0x00];
            }
        }

        if (range.IsBeforeStart(target))
        {
            target = range.Start!.Value.ToArray();
        }

        return range.IsPastEnd(target) ? null : target;
    }

    // Checks rows [start, end) of a scan against the model, starting at the seek target 'from' when given.
    private void CompareScan(KeyRange range, byte[]? from, List<KeyValue> rows, int start, int end, bool complete = true)
    {
        var expected = _oracle.Current.Range(range, from).Take(end - start + (complete ? 1 : 0)).ToList();
        for (var i = start; i < end; i++)
        {
            var j = i - start;
            var row = rows[i];
            if (j >= expected.Count)
            {
                throw new ModelMismatchException(
                    $"The scan of {range} returned an extra row {Bytes.Show(row.Key.Span)} at position {i}; the model has no more rows.");
            }

            var (key, entry) = (expected[j].Key, expected[j].Value);
            if (!row.Key.Span.SequenceEqual(key) || !row.Value.Span.SequenceEqual(entry.Value))
            {
                throw new ModelMismatchException(
                    $"The scan of {range} returned {Bytes.Show(row.Key.Span)} = {Bytes.Show(row.Value.Span)} at position {i}; " +
                    $"the model has {Bytes.Show(key)} = {Bytes.Show(entry.Value)}.");
            }

            if (entry.Seq != 0 && row.Seq != entry.Seq)
            {
                throw new ModelMismatchException(
                    $"The scan of {range} returned {Bytes.Show(row.Key.Span)} with seq {row.Seq}; the write that set it had seq {entry.Seq}.");
            }
        }

        if (complete && expected.Count > end - start)
        {
            throw new ModelMismatchException(
                $"The scan of {range} stopped after {end} rows; the model also has {Bytes.Show(expected[end - start].Key)}.");
        }
    }

    private async Task<string> FlushAsync(FlushType type)
    {
        await Guard.Within(Current.FlushAsync(type), $"FlushAsync({type})");
        _oracle.AllDurable();
        if (_lastHandle is { } handle)
        {
            await Guard.Within(handle.Durable, $"the Durable task of seq {handle.Seq} after FlushAsync({type})");
        }

        return $"{_oracle.WriteCount} writes durable";
    }

    private Task<string> TickAsync()
    {
        _time.Advance(_settings.FlushInterval);
        return Task.FromResult($"now {_time.GetUtcNow():HH:mm:ss.fff}");
    }

    private async Task<string> ReopenAsync()
    {
        var old = Current;
        await Guard.Within(old.CloseAsync(), "CloseAsync");
        _oracle.AllDurable();
        await Guard.Within(old.CloseAsync(), "a second CloseAsync");
        try
        {
            await old.PutAsync("after-close"u8.ToArray(), "x"u8.ToArray(), NoWait);
            throw new ModelMismatchException("A put on a closed database succeeded.");
        }
        catch (DbClosedException)
        {
        }

        await OpenAsync();
        var recovered = await Guard.Within(KeyValueModel.ReadAllAsync(Current), "the full scan after reopening");
        if (!_oracle.Current.SameContents(recovered))
        {
            throw new ModelMismatchException(
                $"After a clean close and reopen the contents differ from the model:\n{_oracle.Current.DescribeDifferences(recovered)}");
        }

        _oracle.Rebase(_oracle.Current);
        return $"{recovered.Count} keys";
    }

    private async Task<string> CrashAndReopenAsync()
    {
        _faults!.Crash();
        try
        {
            await Guard.Within(Current.DisposeAsync(), "DisposeAsync of the crashed database");
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            // The crashed writer may report the failed final flush; only a hang is a failure.
        }

        await OpenAsync();
        var recovered = await Guard.Within(KeyValueModel.ReadAllAsync(Current), "the full scan after recovery");
        _oracle.AssertRecovered(recovered, $"Seed {_seed}, after the crash at step {_step}");
        _oracle.Rebase(recovered);
        _lastSeq = recovered.Entries.Select(e => e.Value.Seq).DefaultIfEmpty(0UL).Max();
        return $"recovered {recovered.Count} keys";
    }

    private async Task OpenAsync()
    {
        _faults = new FaultInjectingObjectStore(_store, _seed);
        _lastHandle = null;
        _db = await Guard.Within(
            Db.Builder(DbPath, _faults)
                .WithSettings(_settings)
                .WithTimeProvider(_time)
                .WithSeed(_seed * 1000L + _opens++)
                .BuildAsync(),
            "opening the database");
    }

    /// <summary>Disposes <paramref name="db"/> ignoring errors (a crashed or failed database may report them).</summary>
    public static async Task DisposeQuietlyAsync(Db? db)
    {
        if (db is null)
        {
            return;
        }

        try
        {
            await db.DisposeAsync().AsTask().WaitAsync(Guard.HangLimit);
        }
        catch (Exception)
        {
            // Only the caller's own checks matter here.
        }
    }

    private void Remember(string what)
    {
        _recent.Enqueue(what.Length > 300 ? what[..300] + "..." : what);
        if (_recent.Count > 25)
        {
            _recent.Dequeue();
        }
    }
}

/// <summary>The database disagreed with the model.</summary>
public sealed class ModelMismatchException(string message) : Exception(message);

/// <summary>A model run failed; the message names the seed and the steps that led there.</summary>
public sealed class ModelRunFailedException(string message, Exception inner) : Exception(message, inner);
