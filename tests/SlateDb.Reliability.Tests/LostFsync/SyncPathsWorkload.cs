using Microsoft.Extensions.Time.Testing;
using SlateDb.ObjectStore;
using SlateDb.Testing.Simulation;

namespace SlateDb.Reliability.Tests.LostFsync;

/// <summary>
/// A fixed, sequential workload through every path that writes objects: WAL flushes, memtable flushes to L0, a
/// compaction by a standalone compactor, a checkpoint, clean closes and a second open (fencing, WAL replay). The
/// clock is fake and never moves, so the store calls are the same on every run. On a store that crashes at call k
/// the first failure ends the workload; the <see cref="DurabilityOracle"/> knows what was acknowledged durable.
/// </summary>
internal sealed class SyncPathsWorkload
{
    public const string DbPath = "db";

    private static readonly WriteOptions NoWait = new() { AwaitDurable = false };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private long _opens;

    /// <summary>The checkpoint the run created and saw acknowledged, if it got that far.</summary>
    public Guid? Checkpoint { get; private set; }

    /// <summary>Whether the last run met a failure (a crash).</summary>
    public bool Failed { get; private set; }

    /// <summary>Tiny SSTs and blocks; no compactor inside the writer (the workload runs one itself, so calls stay in order).</summary>
    public static Settings Settings() => new()
    {
        L0SstSizeBytes = 2048,
        BlockSize = 512,
        MinFilterKeys = 2,
        Compactor = null,
        Gc = null,
    };

    /// <summary>Opens the database with this workload's settings and a fresh seed.</summary>
    public Task<Db> OpenAsync(IObjectStore store, IObjectStore? walStore)
    {
        var builder = Db.Builder(DbPath, store).WithSettings(Settings()).WithTimeProvider(_time).WithSeed(4242 + _opens++);
        return (walStore is null ? builder : builder.WithWalObjectStore(walStore)).BuildAsync();
    }

    /// <summary>Runs the workload; stops at the first failure.</summary>
    public async Task RunAsync(IObjectStore store, IObjectStore? walStore, DurabilityOracle oracle)
    {
        Failed = false;
        Checkpoint = null;
        Db? db = null;
        try
        {
            db = await Guard.Within(OpenAsync(store, walStore), "open #1");
            for (var round = 0; round < 3; round++)
            {
                var r = round;
                await WriteAsync(db, oracle, WriteOp.Batch([.. Enumerable.Range(0, 6).Select(i => new Mutation(K(r * 4 + i), V(r * 4 + i, r)))]));
                await WriteAsync(db, oracle, WriteOp.Delete(K(r * 4 + 1)));
                await FlushAsync(db, oracle, FlushType.Wal);
                await WriteAsync(db, oracle, WriteOp.Put(K(30 + r), V(30 + r, r)));
                await FlushAsync(db, oracle, FlushType.MemTable);
            }

            var compactor = await Guard.Within(Compactor.OpenAsync(DbPath, store, Settings(), _time), "open the compactor");
            await using (compactor)
            {
                await Guard.Within(compactor.CompactAsync(), "compact");
            }

            await WriteAsync(db, oracle, WriteOp.Put(K(2), V(2, 9)));
            await FlushAsync(db, oracle, FlushType.Wal);
            var checkpoint = await Guard.Within(db.CreateCheckpointAsync(CheckpointScope.All), "checkpoint");
            Checkpoint = checkpoint.Id;
            await WriteAsync(db, oracle, WriteOp.Batch(new Mutation(K(3), null), new Mutation(K(40), V(40, 1))));
            await Guard.Within(db.CloseAsync(), "close #1");
            oracle.AllDurable();
            db = null;

            db = await Guard.Within(OpenAsync(store, walStore), "open #2");
            await WriteAsync(db, oracle, WriteOp.Put(K(41), V(41, 1)));
            await WriteAsync(db, oracle, WriteOp.Delete(K(30)));
            await FlushAsync(db, oracle, FlushType.MemTable);
            await WriteAsync(db, oracle, WriteOp.Put(K(0), V(0, 7)));
            await Guard.Within(db.CloseAsync(), "close #2");
            oracle.AllDurable();
            db = null;
        }
        catch (Exception ex) when (ex is not TimeoutException and not DurabilityViolationException)
        {
            Failed = true;
        }
        finally
        {
            await ModelRunner.DisposeQuietlyAsync(db);
        }
    }

    private static byte[] K(int i) => Bytes.Utf8($"key-{i:D3}");

    private static byte[] V(int i, int version) => Bytes.Utf8($"value-{i}-v{version}-" + new string('x', 40 + i * 13 % 60));

    private static async Task WriteAsync(Db db, DurabilityOracle oracle, WriteOp op)
    {
        try
        {
            oracle.Acknowledged(op, await Guard.Within(op.ApplyAsync(db, NoWait), $"the write {op}"));
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            oracle.Unknown(op);
            throw;
        }
    }

    private static async Task FlushAsync(Db db, DurabilityOracle oracle, FlushType type)
    {
        await Guard.Within(db.FlushAsync(type), $"FlushAsync({type})");
        oracle.AllDurable();
    }
}
