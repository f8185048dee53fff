using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;

namespace SlateDb.Testing.Simulation;

/// <summary>
/// A short, fixed workload for crash testing: two database lifetimes with batches, overwrites, deletes,
/// WAL flushes, a memtable flush, writes left unflushed and clean closes, about 40-60 object-store calls in
/// all. Time is a fake clock that never moves, so only the workload's own flushes write WAL objects and the
/// sequence of store calls is the same on every run.
///
/// Run it on a store that crashes at call k: every step after the crash fails, the workload records each
/// write as acknowledged, durable or unknown in a <see cref="DurabilityOracle"/> and carries on (a failure is
/// expected), and never hangs: each call is guarded.
/// </summary>
public sealed class CrashWorkload
{
    public const string DbPath = "crash-db";
    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    private readonly Func<IObjectStore, IObjectStore?, DbBuilder> _builder;
    private readonly List<Exception> _failures = [];
    private long _opens;
    private bool _failedSinceOpen;

    /// <param name="settings">The settings every open uses.</param>
    /// <param name="seed">The database's seed.</param>
    public CrashWorkload(Settings settings, long seed)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        _builder = (store, walStore) =>
        {
            // Each open gets its own seed: with a clock that never moves, one seed would mint the same SST ids twice.
            var builder = Db.Builder(DbPath, store).WithSettings(settings).WithTimeProvider(time).WithSeed(seed * 1000 + _opens++);
            return walStore is null ? builder : builder.WithWalObjectStore(walStore);
        };
    }

    /// <summary>The failures the last run met (empty when no call failed).</summary>
    public IReadOnlyList<Exception> Failures => _failures;

    /// <summary>Opens a database with this workload's settings (used to reopen after the crash).</summary>
    public Task<Db> OpenAsync(IObjectStore store, IObjectStore? walStore = null) => _builder(store, walStore).BuildAsync();

    /// <summary>Runs the workload, recording what the database acknowledged into <paramref name="oracle"/>.</summary>
    public async Task RunAsync(IObjectStore store, IObjectStore? walStore, DurabilityOracle oracle)
    {
        _failures.Clear();
        _failedSinceOpen = false;
        static byte[] K(int i) => Bytes.Utf8($"key-{i:D3}");
        static byte[] V(int i, int version) => Bytes.Utf8($"value-{i}-v{version}-" + new string('x', i * 7 % 50));

        var db = await StepAsync(() => OpenAsync(store, walStore), "open #1");

        await WriteAsync(db, oracle, WriteOp.Batch([.. Enumerable.Range(0, 8).Select(i => new Mutation(K(i), V(i, 1)))]));
        await FlushAsync(db, oracle, FlushType.Wal);

        await WriteAsync(db, oracle, WriteOp.Put(K(8), V(8, 1)));
        await WriteAsync(db, oracle, WriteOp.Delete(K(2)));
        await WriteAsync(db, oracle, WriteOp.Put(K(0), V(0, 2)));
        await FlushAsync(db, oracle, FlushType.Wal);

        await WriteAsync(db, oracle, WriteOp.Batch(new Mutation(K(9), V(9, 1)), new Mutation(K(1), null), new Mutation(K(9), V(9, 2))));
        await FlushAsync(db, oracle, FlushType.MemTable);

        await WriteAsync(db, oracle, WriteOp.Put(K(10), V(10, 1)));
        await WriteAsync(db, oracle, WriteOp.Delete(K(3)));
        await FlushAsync(db, oracle, FlushType.Wal);
        await WriteAsync(db, oracle, WriteOp.Put(K(3), V(3, 2)));
        await WriteAsync(db, oracle, WriteOp.Put(K(11), V(11, 1)));
        await CloseAsync(db, oracle, "close #1");

        _failedSinceOpen = false;
        db = await StepAsync(() => OpenAsync(store, walStore), "open #2");
        await WriteAsync(db, oracle, WriteOp.Delete(K(0)));
        await WriteAsync(db, oracle, WriteOp.Put(K(12), V(12, 1)));
        await FlushAsync(db, oracle, FlushType.Wal);
        await WriteAsync(db, oracle, WriteOp.Batch(new Mutation(K(4), V(4, 2)), new Mutation(K(5), null), new Mutation(K(13), V(13, 1))));
        await FlushAsync(db, oracle, FlushType.MemTable);
        await WriteAsync(db, oracle, WriteOp.Put(K(6), V(6, 2)));
        await WriteAsync(db, oracle, WriteOp.Delete(K(7)));
        await FlushAsync(db, oracle, FlushType.Wal);
        await WriteAsync(db, oracle, WriteOp.Put(K(14), V(14, 1)));
        await CloseAsync(db, oracle, "close #2");
    }

    private async Task WriteAsync(Db? db, DurabilityOracle oracle, WriteOp op)
    {
        if (db is null)
        {
            return;
        }

        try
        {
            oracle.Acknowledged(op, await Guard.Within(op.ApplyAsync(db, NoWait), $"the write {op}"));
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            _failures.Add(ex);
            _failedSinceOpen = true;
            if (ex is not ArgumentException)
            {
                oracle.Unknown(op);
            }
        }
    }

    private async Task FlushAsync(Db? db, DurabilityOracle oracle, FlushType type)
    {
        // A flush or close that returns after this database already failed promises nothing.
        if (db is not null && await StepAsync(async () => { await db.FlushAsync(type); return true; }, $"FlushAsync({type})") && !_failedSinceOpen)
        {
            oracle.AllDurable();
        }
    }

    private async Task CloseAsync(Db? db, DurabilityOracle oracle, string what)
    {
        if (db is null)
        {
            return;
        }

        if (await StepAsync(async () => { await db.CloseAsync(); return true; }, what) && !_failedSinceOpen)
        {
            oracle.AllDurable();
        }
        else
        {
            await ModelRunner.DisposeQuietlyAsync(db);
        }
    }

    private async Task<T?> StepAsync<T>(Func<Task<T>> step, string what)
    {
        try
        {
            return await Guard.Within(step(), what);
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            _failures.Add(ex);
            _failedSinceOpen = true;
            return default;
        }
    }
}
